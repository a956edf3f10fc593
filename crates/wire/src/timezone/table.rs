//! The SuperOffice time-zone codes and the IANA zone each one stands for.
//!
//! SuperOffice names a time zone by a country code (`NO`, `DK`, `FR`, `BD`), by a country-region
//! code for a country that spans several zones (`US-NY`, `US-CA`, `US-HI`, `CA-QC`, `CA-NT`,
//! `AU-ACT`, `AU-QLD`, `AR-NQ`), or as `UTC`; `GET /api/v1/timezone` numbers them (spec §4.4). Its
//! full list is not public, so this table is ours, built from public facts:
//!
//! * `UTC`, and a code for every ISO 3166-1 alpha-2 country. A country that spans several zones
//!   gets the zone of its capital (Australia: Canberra, Brazil: Brasília, Kazakhstan: Astana, …);
//!   the zones are those the IANA database assigns to each country in its `zone.tab`.
//! * Country-region codes for countries that span several zones. SuperOffice's documented codes
//!   are ISO 3166-2 subdivision codes (`US-NY`, `CA-QC`, `AU-ACT`), so the regions below use
//!   ISO 3166-2 too, except Argentina, where SuperOffice's `AR-NQ` shows it follows the tz
//!   database's province abbreviations instead. A region that itself spans zones gets the zone of
//!   most of its people.
//!
//! Only the zone's name comes from here: every offset and daylight-saving rule comes from the IANA
//! database through `chrono-tz`.

use chrono_tz::Tz;

/// The numeric ids SuperOffice documents for its codes (`so-timezone.md`, `http-headers.md`):
/// `SO-TimeZone: 261` means `NO`. Other ids are unknown.
pub const ZONE_IDS: [(u32, &str); 10] = [
    (1, "UTC"),
    (36, "AU-ACT"),
    (50, "BD"),
    (114, "CA-QC"),
    (140, "DK"),
    (156, "FR"),
    (261, "NO"),
    (425, "US-CA"),
    (433, "US-HI"),
    (460, "US-NY"),
];

/// Countries with no IANA zone of their own, which borrow a neighbour's: uninhabited Bouvet Island
/// (Norwegian, so Oslo) and Heard Island and McDonald Islands (Kerguelen's +05:00).
pub(crate) const BORROWED_ZONES: [&str; 2] = ["BV", "HM"];

/// Every SuperOffice code this server knows, upper-case, each with its IANA zone: `UTC`, the
/// countries in ISO 3166-1 order, then the regions grouped by country and zone.
pub const ZONE_CODES: &[(&str, Tz)] = &[
    ("UTC", Tz::UTC),
    // Countries (ISO 3166-1 alpha-2).
    ("AD", Tz::Europe__Andorra),                  // Andorra
    ("AE", Tz::Asia__Dubai),                      // United Arab Emirates
    ("AF", Tz::Asia__Kabul),                      // Afghanistan
    ("AG", Tz::America__Antigua),                 // Antigua & Barbuda
    ("AI", Tz::America__Anguilla),                // Anguilla
    ("AL", Tz::Europe__Tirane),                   // Albania
    ("AM", Tz::Asia__Yerevan),                    // Armenia
    ("AO", Tz::Africa__Luanda),                   // Angola
    ("AQ", Tz::Antarctica__McMurdo),              // Antarctica
    ("AR", Tz::America__Argentina__Buenos_Aires), // Argentina
    ("AS", Tz::Pacific__Pago_Pago),               // Samoa (American)
    ("AT", Tz::Europe__Vienna),                   // Austria
    ("AU", Tz::Australia__Sydney),                // Australia
    ("AW", Tz::America__Aruba),                   // Aruba
    ("AX", Tz::Europe__Mariehamn),                // Åland Islands
    ("AZ", Tz::Asia__Baku),                       // Azerbaijan
    ("BA", Tz::Europe__Sarajevo),                 // Bosnia & Herzegovina
    ("BB", Tz::America__Barbados),                // Barbados
    ("BD", Tz::Asia__Dhaka),                      // Bangladesh
    ("BE", Tz::Europe__Brussels),                 // Belgium
    ("BF", Tz::Africa__Ouagadougou),              // Burkina Faso
    ("BG", Tz::Europe__Sofia),                    // Bulgaria
    ("BH", Tz::Asia__Bahrain),                    // Bahrain
    ("BI", Tz::Africa__Bujumbura),                // Burundi
    ("BJ", Tz::Africa__PortoNovo),                // Benin
    ("BL", Tz::America__St_Barthelemy),           // St Barthelemy
    ("BM", Tz::Atlantic__Bermuda),                // Bermuda
    ("BN", Tz::Asia__Brunei),                     // Brunei
    ("BO", Tz::America__La_Paz),                  // Bolivia
    ("BQ", Tz::America__Kralendijk),              // Caribbean NL
    ("BR", Tz::America__Sao_Paulo),               // Brazil
    ("BS", Tz::America__Nassau),                  // Bahamas
    ("BT", Tz::Asia__Thimphu),                    // Bhutan
    ("BV", Tz::Europe__Oslo),                     // Bouvet Island
    ("BW", Tz::Africa__Gaborone),                 // Botswana
    ("BY", Tz::Europe__Minsk),                    // Belarus
    ("BZ", Tz::America__Belize),                  // Belize
    ("CA", Tz::America__Toronto),                 // Canada
    ("CC", Tz::Indian__Cocos),                    // Cocos (Keeling) Islands
    ("CD", Tz::Africa__Kinshasa),                 // Congo (Dem. Rep.)
    ("CF", Tz::Africa__Bangui),                   // Central African Rep.
    ("CG", Tz::Africa__Brazzaville),              // Congo (Rep.)
    ("CH", Tz::Europe__Zurich),                   // Switzerland
    ("CI", Tz::Africa__Abidjan),                  // Côte d'Ivoire
    ("CK", Tz::Pacific__Rarotonga),               // Cook Islands
    ("CL", Tz::America__Santiago),                // Chile
    ("CM", Tz::Africa__Douala),                   // Cameroon
    ("CN", Tz::Asia__Shanghai),                   // China
    ("CO", Tz::America__Bogota),                  // Colombia
    ("CR", Tz::America__Costa_Rica),              // Costa Rica
    ("CU", Tz::America__Havana),                  // Cuba
    ("CV", Tz::Atlantic__Cape_Verde),             // Cape Verde
    ("CW", Tz::America__Curacao),                 // Curaçao
    ("CX", Tz::Indian__Christmas),                // Christmas Island
    ("CY", Tz::Asia__Nicosia),                    // Cyprus
    ("CZ", Tz::Europe__Prague),                   // Czech Republic
    ("DE", Tz::Europe__Berlin),                   // Germany
    ("DJ", Tz::Africa__Djibouti),                 // Djibouti
    ("DK", Tz::Europe__Copenhagen),               // Denmark
    ("DM", Tz::America__Dominica),                // Dominica
    ("DO", Tz::America__Santo_Domingo),           // Dominican Republic
    ("DZ", Tz::Africa__Algiers),                  // Algeria
    ("EC", Tz::America__Guayaquil),               // Ecuador
    ("EE", Tz::Europe__Tallinn),                  // Estonia
    ("EG", Tz::Africa__Cairo),                    // Egypt
    ("EH", Tz::Africa__El_Aaiun),                 // Western Sahara
    ("ER", Tz::Africa__Asmara),                   // Eritrea
    ("ES", Tz::Europe__Madrid),                   // Spain
    ("ET", Tz::Africa__Addis_Ababa),              // Ethiopia
    ("FI", Tz::Europe__Helsinki),                 // Finland
    ("FJ", Tz::Pacific__Fiji),                    // Fiji
    ("FK", Tz::Atlantic__Stanley),                // Falkland Islands
    ("FM", Tz::Pacific__Pohnpei),                 // Micronesia
    ("FO", Tz::Atlantic__Faroe),                  // Faroe Islands
    ("FR", Tz::Europe__Paris),                    // France
    ("GA", Tz::Africa__Libreville),               // Gabon
    ("GB", Tz::Europe__London),                   // Britain (UK)
    ("GD", Tz::America__Grenada),                 // Grenada
    ("GE", Tz::Asia__Tbilisi),                    // Georgia
    ("GF", Tz::America__Cayenne),                 // French Guiana
    ("GG", Tz::Europe__Guernsey),                 // Guernsey
    ("GH", Tz::Africa__Accra),                    // Ghana
    ("GI", Tz::Europe__Gibraltar),                // Gibraltar
    ("GL", Tz::America__Nuuk),                    // Greenland
    ("GM", Tz::Africa__Banjul),                   // Gambia
    ("GN", Tz::Africa__Conakry),                  // Guinea
    ("GP", Tz::America__Guadeloupe),              // Guadeloupe
    ("GQ", Tz::Africa__Malabo),                   // Equatorial Guinea
    ("GR", Tz::Europe__Athens),                   // Greece
    ("GS", Tz::Atlantic__South_Georgia),          // South Georgia & the South Sandwich Islands
    ("GT", Tz::America__Guatemala),               // Guatemala
    ("GU", Tz::Pacific__Guam),                    // Guam
    ("GW", Tz::Africa__Bissau),                   // Guinea-Bissau
    ("GY", Tz::America__Guyana),                  // Guyana
    ("HK", Tz::Asia__Hong_Kong),                  // Hong Kong
    ("HM", Tz::Indian__Kerguelen),                // Heard Island & McDonald Islands
    ("HN", Tz::America__Tegucigalpa),             // Honduras
    ("HR", Tz::Europe__Zagreb),                   // Croatia
    ("HT", Tz::America__PortauPrince),            // Haiti
    ("HU", Tz::Europe__Budapest),                 // Hungary
    ("ID", Tz::Asia__Jakarta),                    // Indonesia
    ("IE", Tz::Europe__Dublin),                   // Ireland
    ("IL", Tz::Asia__Jerusalem),                  // Israel
    ("IM", Tz::Europe__Isle_of_Man),              // Isle of Man
    ("IN", Tz::Asia__Kolkata),                    // India
    ("IO", Tz::Indian__Chagos),                   // British Indian Ocean Territory
    ("IQ", Tz::Asia__Baghdad),                    // Iraq
    ("IR", Tz::Asia__Tehran),                     // Iran
    ("IS", Tz::Atlantic__Reykjavik),              // Iceland
    ("IT", Tz::Europe__Rome),                     // Italy
    ("JE", Tz::Europe__Jersey),                   // Jersey
    ("JM", Tz::America__Jamaica),                 // Jamaica
    ("JO", Tz::Asia__Amman),                      // Jordan
    ("JP", Tz::Asia__Tokyo),                      // Japan
    ("KE", Tz::Africa__Nairobi),                  // Kenya
    ("KG", Tz::Asia__Bishkek),                    // Kyrgyzstan
    ("KH", Tz::Asia__Phnom_Penh),                 // Cambodia
    ("KI", Tz::Pacific__Tarawa),                  // Kiribati
    ("KM", Tz::Indian__Comoro),                   // Comoros
    ("KN", Tz::America__St_Kitts),                // St Kitts & Nevis
    ("KP", Tz::Asia__Pyongyang),                  // Korea (North)
    ("KR", Tz::Asia__Seoul),                      // Korea (South)
    ("KW", Tz::Asia__Kuwait),                     // Kuwait
    ("KY", Tz::America__Cayman),                  // Cayman Islands
    ("KZ", Tz::Asia__Almaty),                     // Kazakhstan
    ("LA", Tz::Asia__Vientiane),                  // Laos
    ("LB", Tz::Asia__Beirut),                     // Lebanon
    ("LC", Tz::America__St_Lucia),                // St Lucia
    ("LI", Tz::Europe__Vaduz),                    // Liechtenstein
    ("LK", Tz::Asia__Colombo),                    // Sri Lanka
    ("LR", Tz::Africa__Monrovia),                 // Liberia
    ("LS", Tz::Africa__Maseru),                   // Lesotho
    ("LT", Tz::Europe__Vilnius),                  // Lithuania
    ("LU", Tz::Europe__Luxembourg),               // Luxembourg
    ("LV", Tz::Europe__Riga),                     // Latvia
    ("LY", Tz::Africa__Tripoli),                  // Libya
    ("MA", Tz::Africa__Casablanca),               // Morocco
    ("MC", Tz::Europe__Monaco),                   // Monaco
    ("MD", Tz::Europe__Chisinau),                 // Moldova
    ("ME", Tz::Europe__Podgorica),                // Montenegro
    ("MF", Tz::America__Marigot),                 // St Martin (French)
    ("MG", Tz::Indian__Antananarivo),             // Madagascar
    ("MH", Tz::Pacific__Majuro),                  // Marshall Islands
    ("MK", Tz::Europe__Skopje),                   // North Macedonia
    ("ML", Tz::Africa__Bamako),                   // Mali
    ("MM", Tz::Asia__Yangon),                     // Myanmar (Burma)
    ("MN", Tz::Asia__Ulaanbaatar),                // Mongolia
    ("MO", Tz::Asia__Macau),                      // Macau
    ("MP", Tz::Pacific__Saipan),                  // Northern Mariana Islands
    ("MQ", Tz::America__Martinique),              // Martinique
    ("MR", Tz::Africa__Nouakchott),               // Mauritania
    ("MS", Tz::America__Montserrat),              // Montserrat
    ("MT", Tz::Europe__Malta),                    // Malta
    ("MU", Tz::Indian__Mauritius),                // Mauritius
    ("MV", Tz::Indian__Maldives),                 // Maldives
    ("MW", Tz::Africa__Blantyre),                 // Malawi
    ("MX", Tz::America__Mexico_City),             // Mexico
    ("MY", Tz::Asia__Kuala_Lumpur),               // Malaysia
    ("MZ", Tz::Africa__Maputo),                   // Mozambique
    ("NA", Tz::Africa__Windhoek),                 // Namibia
    ("NC", Tz::Pacific__Noumea),                  // New Caledonia
    ("NE", Tz::Africa__Niamey),                   // Niger
    ("NF", Tz::Pacific__Norfolk),                 // Norfolk Island
    ("NG", Tz::Africa__Lagos),                    // Nigeria
    ("NI", Tz::America__Managua),                 // Nicaragua
    ("NL", Tz::Europe__Amsterdam),                // Netherlands
    ("NO", Tz::Europe__Oslo),                     // Norway
    ("NP", Tz::Asia__Kathmandu),                  // Nepal
    ("NR", Tz::Pacific__Nauru),                   // Nauru
    ("NU", Tz::Pacific__Niue),                    // Niue
    ("NZ", Tz::Pacific__Auckland),                // New Zealand
    ("OM", Tz::Asia__Muscat),                     // Oman
    ("PA", Tz::America__Panama),                  // Panama
    ("PE", Tz::America__Lima),                    // Peru
    ("PF", Tz::Pacific__Tahiti),                  // French Polynesia
    ("PG", Tz::Pacific__Port_Moresby),            // Papua New Guinea
    ("PH", Tz::Asia__Manila),                     // Philippines
    ("PK", Tz::Asia__Karachi),                    // Pakistan
    ("PL", Tz::Europe__Warsaw),                   // Poland
    ("PM", Tz::America__Miquelon),                // St Pierre & Miquelon
    ("PN", Tz::Pacific__Pitcairn),                // Pitcairn
    ("PR", Tz::America__Puerto_Rico),             // Puerto Rico
    ("PS", Tz::Asia__Hebron),                     // Palestine
    ("PT", Tz::Europe__Lisbon),                   // Portugal
    ("PW", Tz::Pacific__Palau),                   // Palau
    ("PY", Tz::America__Asuncion),                // Paraguay
    ("QA", Tz::Asia__Qatar),                      // Qatar
    ("RE", Tz::Indian__Reunion),                  // Réunion
    ("RO", Tz::Europe__Bucharest),                // Romania
    ("RS", Tz::Europe__Belgrade),                 // Serbia
    ("RU", Tz::Europe__Moscow),                   // Russia
    ("RW", Tz::Africa__Kigali),                   // Rwanda
    ("SA", Tz::Asia__Riyadh),                     // Saudi Arabia
    ("SB", Tz::Pacific__Guadalcanal),             // Solomon Islands
    ("SC", Tz::Indian__Mahe),                     // Seychelles
    ("SD", Tz::Africa__Khartoum),                 // Sudan
    ("SE", Tz::Europe__Stockholm),                // Sweden
    ("SG", Tz::Asia__Singapore),                  // Singapore
    ("SH", Tz::Atlantic__St_Helena),              // St Helena
    ("SI", Tz::Europe__Ljubljana),                // Slovenia
    ("SJ", Tz::Arctic__Longyearbyen),             // Svalbard & Jan Mayen
    ("SK", Tz::Europe__Bratislava),               // Slovakia
    ("SL", Tz::Africa__Freetown),                 // Sierra Leone
    ("SM", Tz::Europe__San_Marino),               // San Marino
    ("SN", Tz::Africa__Dakar),                    // Senegal
    ("SO", Tz::Africa__Mogadishu),                // Somalia
    ("SR", Tz::America__Paramaribo),              // Suriname
    ("SS", Tz::Africa__Juba),                     // South Sudan
    ("ST", Tz::Africa__Sao_Tome),                 // Sao Tome & Principe
    ("SV", Tz::America__El_Salvador),             // El Salvador
    ("SX", Tz::America__Lower_Princes),           // St Maarten (Dutch)
    ("SY", Tz::Asia__Damascus),                   // Syria
    ("SZ", Tz::Africa__Mbabane),                  // Eswatini (Swaziland)
    ("TC", Tz::America__Grand_Turk),              // Turks & Caicos Is
    ("TD", Tz::Africa__Ndjamena),                 // Chad
    ("TF", Tz::Indian__Kerguelen),                // French S. Terr.
    ("TG", Tz::Africa__Lome),                     // Togo
    ("TH", Tz::Asia__Bangkok),                    // Thailand
    ("TJ", Tz::Asia__Dushanbe),                   // Tajikistan
    ("TK", Tz::Pacific__Fakaofo),                 // Tokelau
    ("TL", Tz::Asia__Dili),                       // East Timor
    ("TM", Tz::Asia__Ashgabat),                   // Turkmenistan
    ("TN", Tz::Africa__Tunis),                    // Tunisia
    ("TO", Tz::Pacific__Tongatapu),               // Tonga
    ("TR", Tz::Europe__Istanbul),                 // Turkey
    ("TT", Tz::America__Port_of_Spain),           // Trinidad & Tobago
    ("TV", Tz::Pacific__Funafuti),                // Tuvalu
    ("TW", Tz::Asia__Taipei),                     // Taiwan
    ("TZ", Tz::Africa__Dar_es_Salaam),            // Tanzania
    ("UA", Tz::Europe__Kyiv),                     // Ukraine
    ("UG", Tz::Africa__Kampala),                  // Uganda
    ("UM", Tz::Pacific__Midway),                  // US minor outlying islands
    ("US", Tz::America__New_York),                // United States
    ("UY", Tz::America__Montevideo),              // Uruguay
    ("UZ", Tz::Asia__Tashkent),                   // Uzbekistan
    ("VA", Tz::Europe__Vatican),                  // Vatican City
    ("VC", Tz::America__St_Vincent),              // St Vincent
    ("VE", Tz::America__Caracas),                 // Venezuela
    ("VG", Tz::America__Tortola),                 // Virgin Islands (UK)
    ("VI", Tz::America__St_Thomas),               // Virgin Islands (US)
    ("VN", Tz::Asia__Ho_Chi_Minh),                // Vietnam
    ("VU", Tz::Pacific__Efate),                   // Vanuatu
    ("WF", Tz::Pacific__Wallis),                  // Wallis & Futuna
    ("WS", Tz::Pacific__Apia),                    // Samoa (western)
    ("YE", Tz::Asia__Aden),                       // Yemen
    ("YT", Tz::Indian__Mayotte),                  // Mayotte
    ("ZA", Tz::Africa__Johannesburg),             // South Africa
    ("ZM", Tz::Africa__Lusaka),                   // Zambia
    ("ZW", Tz::Africa__Harare),                   // Zimbabwe
    // United States: the 50 states and the District of Columbia (ISO 3166-2:US). A state split
    // between zones gets the zone of most of its people.
    ("US-NY", Tz::America__New_York),              // New York
    ("US-CT", Tz::America__New_York),              // Connecticut
    ("US-DC", Tz::America__New_York),              // District of Columbia
    ("US-DE", Tz::America__New_York),              // Delaware
    ("US-FL", Tz::America__New_York),              // Florida
    ("US-GA", Tz::America__New_York),              // Georgia
    ("US-KY", Tz::America__New_York),              // Kentucky
    ("US-MA", Tz::America__New_York),              // Massachusetts
    ("US-MD", Tz::America__New_York),              // Maryland
    ("US-ME", Tz::America__New_York),              // Maine
    ("US-NC", Tz::America__New_York),              // North Carolina
    ("US-NH", Tz::America__New_York),              // New Hampshire
    ("US-NJ", Tz::America__New_York),              // New Jersey
    ("US-OH", Tz::America__New_York),              // Ohio
    ("US-PA", Tz::America__New_York),              // Pennsylvania
    ("US-RI", Tz::America__New_York),              // Rhode Island
    ("US-SC", Tz::America__New_York),              // South Carolina
    ("US-VA", Tz::America__New_York),              // Virginia
    ("US-VT", Tz::America__New_York),              // Vermont
    ("US-WV", Tz::America__New_York),              // West Virginia
    ("US-MI", Tz::America__Detroit),               // Michigan
    ("US-IN", Tz::America__Indiana__Indianapolis), // Indiana
    ("US-IL", Tz::America__Chicago),               // Illinois
    ("US-AL", Tz::America__Chicago),               // Alabama
    ("US-AR", Tz::America__Chicago),               // Arkansas
    ("US-IA", Tz::America__Chicago),               // Iowa
    ("US-KS", Tz::America__Chicago),               // Kansas
    ("US-LA", Tz::America__Chicago),               // Louisiana
    ("US-MN", Tz::America__Chicago),               // Minnesota
    ("US-MO", Tz::America__Chicago),               // Missouri
    ("US-MS", Tz::America__Chicago),               // Mississippi
    ("US-ND", Tz::America__Chicago),               // North Dakota
    ("US-NE", Tz::America__Chicago),               // Nebraska
    ("US-OK", Tz::America__Chicago),               // Oklahoma
    ("US-SD", Tz::America__Chicago),               // South Dakota
    ("US-TN", Tz::America__Chicago),               // Tennessee
    ("US-TX", Tz::America__Chicago),               // Texas
    ("US-WI", Tz::America__Chicago),               // Wisconsin
    ("US-CO", Tz::America__Denver),                // Colorado
    ("US-MT", Tz::America__Denver),                // Montana
    ("US-NM", Tz::America__Denver),                // New Mexico
    ("US-UT", Tz::America__Denver),                // Utah
    ("US-WY", Tz::America__Denver),                // Wyoming
    ("US-ID", Tz::America__Boise),                 // Idaho
    ("US-AZ", Tz::America__Phoenix),               // Arizona
    ("US-CA", Tz::America__Los_Angeles),           // California
    ("US-NV", Tz::America__Los_Angeles),           // Nevada
    ("US-OR", Tz::America__Los_Angeles),           // Oregon
    ("US-WA", Tz::America__Los_Angeles),           // Washington
    ("US-AK", Tz::America__Anchorage),             // Alaska
    ("US-HI", Tz::Pacific__Honolulu),              // Hawaii
    // Canada: provinces and territories (ISO 3166-2:CA; SuperOffice documents CA-QC and CA-NT).
    ("CA-ON", Tz::America__Toronto),    // Ontario
    ("CA-QC", Tz::America__Toronto),    // Quebec
    ("CA-NU", Tz::America__Iqaluit),    // Nunavut
    ("CA-NL", Tz::America__St_Johns),   // Newfoundland and Labrador
    ("CA-NS", Tz::America__Halifax),    // Nova Scotia
    ("CA-PE", Tz::America__Halifax),    // Prince Edward Island
    ("CA-NB", Tz::America__Moncton),    // New Brunswick
    ("CA-MB", Tz::America__Winnipeg),   // Manitoba
    ("CA-SK", Tz::America__Regina),     // Saskatchewan
    ("CA-AB", Tz::America__Edmonton),   // Alberta
    ("CA-NT", Tz::America__Edmonton),   // Northwest Territories
    ("CA-BC", Tz::America__Vancouver),  // British Columbia
    ("CA-YT", Tz::America__Whitehorse), // Yukon
    // Australia: states and territories (ISO 3166-2:AU; SuperOffice documents AU-ACT and AU-QLD).
    ("AU-ACT", Tz::Australia__Sydney), // Australian Capital Territory
    ("AU-NSW", Tz::Australia__Sydney), // New South Wales
    ("AU-VIC", Tz::Australia__Melbourne), // Victoria
    ("AU-QLD", Tz::Australia__Brisbane), // Queensland
    ("AU-SA", Tz::Australia__Adelaide), // South Australia
    ("AU-WA", Tz::Australia__Perth),   // Western Australia
    ("AU-TAS", Tz::Australia__Hobart), // Tasmania
    ("AU-NT", Tz::Australia__Darwin),  // Northern Territory
    // Brazil: states and the Federal District (ISO 3166-2:BR).
    ("BR-DF", Tz::America__Sao_Paulo),    // Distrito Federal
    ("BR-ES", Tz::America__Sao_Paulo),    // Espirito Santo
    ("BR-GO", Tz::America__Sao_Paulo),    // Goias
    ("BR-MG", Tz::America__Sao_Paulo),    // Minas Gerais
    ("BR-PR", Tz::America__Sao_Paulo),    // Parana
    ("BR-RJ", Tz::America__Sao_Paulo),    // Rio de Janeiro
    ("BR-RS", Tz::America__Sao_Paulo),    // Rio Grande do Sul
    ("BR-SC", Tz::America__Sao_Paulo),    // Santa Catarina
    ("BR-SP", Tz::America__Sao_Paulo),    // Sao Paulo
    ("BR-CE", Tz::America__Fortaleza),    // Ceara
    ("BR-MA", Tz::America__Fortaleza),    // Maranhao
    ("BR-PB", Tz::America__Fortaleza),    // Paraiba
    ("BR-PI", Tz::America__Fortaleza),    // Piaui
    ("BR-RN", Tz::America__Fortaleza),    // Rio Grande do Norte
    ("BR-PE", Tz::America__Recife),       // Pernambuco
    ("BR-AL", Tz::America__Maceio),       // Alagoas
    ("BR-SE", Tz::America__Maceio),       // Sergipe
    ("BR-BA", Tz::America__Bahia),        // Bahia
    ("BR-PA", Tz::America__Belem),        // Para
    ("BR-AP", Tz::America__Belem),        // Amapa
    ("BR-TO", Tz::America__Araguaina),    // Tocantins
    ("BR-MS", Tz::America__Campo_Grande), // Mato Grosso do Sul
    ("BR-MT", Tz::America__Cuiaba),       // Mato Grosso
    ("BR-AM", Tz::America__Manaus),       // Amazonas
    ("BR-RO", Tz::America__Porto_Velho),  // Rondonia
    ("BR-RR", Tz::America__Boa_Vista),    // Roraima
    ("BR-AC", Tz::America__Rio_Branco),   // Acre
    // Mexico: states and Mexico City (ISO 3166-2:MX).
    ("MX-CMX", Tz::America__Mexico_City), // Ciudad de Mexico
    ("MX-AGU", Tz::America__Mexico_City), // Aguascalientes
    ("MX-CHP", Tz::America__Mexico_City), // Chiapas
    ("MX-COL", Tz::America__Mexico_City), // Colima
    ("MX-GRO", Tz::America__Mexico_City), // Guerrero
    ("MX-GUA", Tz::America__Mexico_City), // Guanajuato
    ("MX-HID", Tz::America__Mexico_City), // Hidalgo
    ("MX-JAL", Tz::America__Mexico_City), // Jalisco
    ("MX-MEX", Tz::America__Mexico_City), // Mexico
    ("MX-MIC", Tz::America__Mexico_City), // Michoacan
    ("MX-MOR", Tz::America__Mexico_City), // Morelos
    ("MX-OAX", Tz::America__Mexico_City), // Oaxaca
    ("MX-PUE", Tz::America__Mexico_City), // Puebla
    ("MX-QUE", Tz::America__Mexico_City), // Queretaro
    ("MX-SLP", Tz::America__Mexico_City), // San Luis Potosi
    ("MX-TAB", Tz::America__Mexico_City), // Tabasco
    ("MX-TLA", Tz::America__Mexico_City), // Tlaxcala
    ("MX-VER", Tz::America__Mexico_City), // Veracruz
    ("MX-ZAC", Tz::America__Mexico_City), // Zacatecas
    ("MX-NLE", Tz::America__Monterrey),   // Nuevo Leon
    ("MX-COA", Tz::America__Monterrey),   // Coahuila
    ("MX-DUR", Tz::America__Monterrey),   // Durango
    ("MX-TAM", Tz::America__Monterrey),   // Tamaulipas
    ("MX-YUC", Tz::America__Merida),      // Yucatan
    ("MX-CAM", Tz::America__Merida),      // Campeche
    ("MX-ROO", Tz::America__Cancun),      // Quintana Roo
    ("MX-CHH", Tz::America__Chihuahua),   // Chihuahua
    ("MX-SIN", Tz::America__Mazatlan),    // Sinaloa
    ("MX-BCS", Tz::America__Mazatlan),    // Baja California Sur
    ("MX-NAY", Tz::America__Mazatlan),    // Nayarit
    ("MX-SON", Tz::America__Hermosillo),  // Sonora
    ("MX-BCN", Tz::America__Tijuana),     // Baja California
    // Russia: federal subjects (ISO 3166-2:RU).
    ("RU-KGD", Tz::Europe__Kaliningrad), // Kaliningrad
    ("RU-MOW", Tz::Europe__Moscow),      // Moscow
    ("RU-AD", Tz::Europe__Moscow),       // Adygea
    ("RU-ARK", Tz::Europe__Moscow),      // Arkhangelsk
    ("RU-BEL", Tz::Europe__Moscow),      // Belgorod
    ("RU-BRY", Tz::Europe__Moscow),      // Bryansk
    ("RU-CE", Tz::Europe__Moscow),       // Chechnya
    ("RU-CU", Tz::Europe__Moscow),       // Chuvashia
    ("RU-DA", Tz::Europe__Moscow),       // Dagestan
    ("RU-IN", Tz::Europe__Moscow),       // Ingushetia
    ("RU-IVA", Tz::Europe__Moscow),      // Ivanovo
    ("RU-KB", Tz::Europe__Moscow),       // Kabardino-Balkaria
    ("RU-KC", Tz::Europe__Moscow),       // Karachay-Cherkessia
    ("RU-KDA", Tz::Europe__Moscow),      // Krasnodar
    ("RU-KL", Tz::Europe__Moscow),       // Kalmykia
    ("RU-KLU", Tz::Europe__Moscow),      // Kaluga
    ("RU-KO", Tz::Europe__Moscow),       // Komi
    ("RU-KOS", Tz::Europe__Moscow),      // Kostroma
    ("RU-KR", Tz::Europe__Moscow),       // Karelia
    ("RU-KRS", Tz::Europe__Moscow),      // Kursk
    ("RU-LEN", Tz::Europe__Moscow),      // Leningrad
    ("RU-LIP", Tz::Europe__Moscow),      // Lipetsk
    ("RU-ME", Tz::Europe__Moscow),       // Mari El
    ("RU-MO", Tz::Europe__Moscow),       // Mordovia
    ("RU-MOS", Tz::Europe__Moscow),      // Moscow Oblast
    ("RU-MUR", Tz::Europe__Moscow),      // Murmansk
    ("RU-NEN", Tz::Europe__Moscow),      // Nenets
    ("RU-NGR", Tz::Europe__Moscow),      // Novgorod
    ("RU-NIZ", Tz::Europe__Moscow),      // Nizhny Novgorod
    ("RU-ORL", Tz::Europe__Moscow),      // Oryol
    ("RU-PNZ", Tz::Europe__Moscow),      // Penza
    ("RU-PSK", Tz::Europe__Moscow),      // Pskov
    ("RU-ROS", Tz::Europe__Moscow),      // Rostov
    ("RU-RYA", Tz::Europe__Moscow),      // Ryazan
    ("RU-SE", Tz::Europe__Moscow),       // North Ossetia
    ("RU-SMO", Tz::Europe__Moscow),      // Smolensk
    ("RU-SPE", Tz::Europe__Moscow),      // Saint Petersburg
    ("RU-STA", Tz::Europe__Moscow),      // Stavropol
    ("RU-TA", Tz::Europe__Moscow),       // Tatarstan
    ("RU-TAM", Tz::Europe__Moscow),      // Tambov
    ("RU-TUL", Tz::Europe__Moscow),      // Tula
    ("RU-TVE", Tz::Europe__Moscow),      // Tver
    ("RU-VLA", Tz::Europe__Moscow),      // Vladimir
    ("RU-VLG", Tz::Europe__Moscow),      // Vologda
    ("RU-VOR", Tz::Europe__Moscow),      // Voronezh
    ("RU-YAR", Tz::Europe__Moscow),      // Yaroslavl
    ("RU-KIR", Tz::Europe__Kirov),       // Kirov
    ("RU-VGG", Tz::Europe__Volgograd),   // Volgograd
    ("RU-AST", Tz::Europe__Astrakhan),   // Astrakhan
    ("RU-SAR", Tz::Europe__Saratov),     // Saratov
    ("RU-ULY", Tz::Europe__Ulyanovsk),   // Ulyanovsk
    ("RU-SAM", Tz::Europe__Samara),      // Samara
    ("RU-UD", Tz::Europe__Samara),       // Udmurtia
    ("RU-SVE", Tz::Asia__Yekaterinburg), // Sverdlovsk
    ("RU-BA", Tz::Asia__Yekaterinburg),  // Bashkortostan
    ("RU-CHE", Tz::Asia__Yekaterinburg), // Chelyabinsk
    ("RU-KGN", Tz::Asia__Yekaterinburg), // Kurgan
    ("RU-KHM", Tz::Asia__Yekaterinburg), // Khanty-Mansi
    ("RU-ORE", Tz::Asia__Yekaterinburg), // Orenburg
    ("RU-PER", Tz::Asia__Yekaterinburg), // Perm
    ("RU-TYU", Tz::Asia__Yekaterinburg), // Tyumen
    ("RU-YAN", Tz::Asia__Yekaterinburg), // Yamalo-Nenets
    ("RU-OMS", Tz::Asia__Omsk),          // Omsk
    ("RU-NVS", Tz::Asia__Novosibirsk),   // Novosibirsk
    ("RU-ALT", Tz::Asia__Barnaul),       // Altai Krai
    ("RU-AL", Tz::Asia__Barnaul),        // Altai Republic
    ("RU-TOM", Tz::Asia__Tomsk),         // Tomsk
    ("RU-KEM", Tz::Asia__Novokuznetsk),  // Kemerovo
    ("RU-KYA", Tz::Asia__Krasnoyarsk),   // Krasnoyarsk
    ("RU-KK", Tz::Asia__Krasnoyarsk),    // Khakassia
    ("RU-TY", Tz::Asia__Krasnoyarsk),    // Tuva
    ("RU-IRK", Tz::Asia__Irkutsk),       // Irkutsk
    ("RU-BU", Tz::Asia__Irkutsk),        // Buryatia
    ("RU-ZAB", Tz::Asia__Chita),         // Zabaykalsky
    ("RU-SA", Tz::Asia__Yakutsk),        // Sakha (Yakutia)
    ("RU-AMU", Tz::Asia__Yakutsk),       // Amur
    ("RU-PRI", Tz::Asia__Vladivostok),   // Primorsky
    ("RU-KHA", Tz::Asia__Vladivostok),   // Khabarovsk
    ("RU-YEV", Tz::Asia__Vladivostok),   // Jewish Autonomous Oblast
    ("RU-SAK", Tz::Asia__Sakhalin),      // Sakhalin
    ("RU-MAG", Tz::Asia__Magadan),       // Magadan
    ("RU-KAM", Tz::Asia__Kamchatka),     // Kamchatka
    ("RU-CHU", Tz::Asia__Anadyr),        // Chukotka
    // Indonesia: provinces (ISO 3166-2:ID, including the Papua provinces created in 2022).
    ("ID-JK", Tz::Asia__Jakarta),   // Jakarta
    ("ID-AC", Tz::Asia__Jakarta),   // Aceh
    ("ID-BB", Tz::Asia__Jakarta),   // Bangka Belitung
    ("ID-BE", Tz::Asia__Jakarta),   // Bengkulu
    ("ID-BT", Tz::Asia__Jakarta),   // Banten
    ("ID-JA", Tz::Asia__Jakarta),   // Jambi
    ("ID-JB", Tz::Asia__Jakarta),   // West Java
    ("ID-JI", Tz::Asia__Jakarta),   // East Java
    ("ID-JT", Tz::Asia__Jakarta),   // Central Java
    ("ID-KR", Tz::Asia__Jakarta),   // Riau Islands
    ("ID-LA", Tz::Asia__Jakarta),   // Lampung
    ("ID-RI", Tz::Asia__Jakarta),   // Riau
    ("ID-SB", Tz::Asia__Jakarta),   // West Sumatra
    ("ID-SS", Tz::Asia__Jakarta),   // South Sumatra
    ("ID-SU", Tz::Asia__Jakarta),   // North Sumatra
    ("ID-YO", Tz::Asia__Jakarta),   // Yogyakarta
    ("ID-KB", Tz::Asia__Pontianak), // West Kalimantan
    ("ID-KT", Tz::Asia__Pontianak), // Central Kalimantan
    ("ID-SN", Tz::Asia__Makassar),  // South Sulawesi
    ("ID-BA", Tz::Asia__Makassar),  // Bali
    ("ID-GO", Tz::Asia__Makassar),  // Gorontalo
    ("ID-KI", Tz::Asia__Makassar),  // East Kalimantan
    ("ID-KS", Tz::Asia__Makassar),  // South Kalimantan
    ("ID-KU", Tz::Asia__Makassar),  // North Kalimantan
    ("ID-NB", Tz::Asia__Makassar),  // West Nusa Tenggara
    ("ID-NT", Tz::Asia__Makassar),  // East Nusa Tenggara
    ("ID-SA", Tz::Asia__Makassar),  // North Sulawesi
    ("ID-SG", Tz::Asia__Makassar),  // Southeast Sulawesi
    ("ID-SR", Tz::Asia__Makassar),  // West Sulawesi
    ("ID-ST", Tz::Asia__Makassar),  // Central Sulawesi
    ("ID-PA", Tz::Asia__Jayapura),  // Papua
    ("ID-MA", Tz::Asia__Jayapura),  // Maluku
    ("ID-MU", Tz::Asia__Jayapura),  // North Maluku
    ("ID-PB", Tz::Asia__Jayapura),  // West Papua
    ("ID-PD", Tz::Asia__Jayapura),  // Southwest Papua
    ("ID-PE", Tz::Asia__Jayapura),  // Highland Papua
    ("ID-PS", Tz::Asia__Jayapura),  // South Papua
    ("ID-PT", Tz::Asia__Jayapura),  // Central Papua
    // Kazakhstan: regions and cities of republican status (ISO 3166-2:KZ numeric codes).
    ("KZ-71", Tz::Asia__Almaty),    // Astana
    ("KZ-75", Tz::Asia__Almaty),    // Almaty
    ("KZ-79", Tz::Asia__Almaty),    // Shymkent
    ("KZ-10", Tz::Asia__Almaty),    // Abai
    ("KZ-11", Tz::Asia__Almaty),    // Akmola
    ("KZ-19", Tz::Asia__Almaty),    // Almaty Region
    ("KZ-31", Tz::Asia__Almaty),    // Jambyl
    ("KZ-33", Tz::Asia__Almaty),    // Jetisu
    ("KZ-35", Tz::Asia__Almaty),    // Karaganda
    ("KZ-55", Tz::Asia__Almaty),    // Pavlodar
    ("KZ-59", Tz::Asia__Almaty),    // North Kazakhstan
    ("KZ-61", Tz::Asia__Almaty),    // Turkistan
    ("KZ-62", Tz::Asia__Almaty),    // Ulytau
    ("KZ-63", Tz::Asia__Almaty),    // East Kazakhstan
    ("KZ-43", Tz::Asia__Qyzylorda), // Kyzylorda
    ("KZ-39", Tz::Asia__Qostanay),  // Kostanay
    ("KZ-15", Tz::Asia__Aqtobe),    // Aktobe
    ("KZ-47", Tz::Asia__Aqtau),     // Mangystau
    ("KZ-23", Tz::Asia__Atyrau),    // Atyrau
    ("KZ-27", Tz::Asia__Oral),      // West Kazakhstan
    // Mongolia: aimags and the capital (ISO 3166-2:MN).
    ("MN-1", Tz::Asia__Ulaanbaatar),   // Ulaanbaatar
    ("MN-035", Tz::Asia__Ulaanbaatar), // Orkhon
    ("MN-037", Tz::Asia__Ulaanbaatar), // Darkhan-Uul
    ("MN-039", Tz::Asia__Ulaanbaatar), // Khentii
    ("MN-041", Tz::Asia__Ulaanbaatar), // Khovsgol
    ("MN-047", Tz::Asia__Ulaanbaatar), // Tov
    ("MN-049", Tz::Asia__Ulaanbaatar), // Selenge
    ("MN-051", Tz::Asia__Ulaanbaatar), // Sukhbaatar
    ("MN-053", Tz::Asia__Ulaanbaatar), // Omnogovi
    ("MN-055", Tz::Asia__Ulaanbaatar), // Ovorkhangai
    ("MN-057", Tz::Asia__Ulaanbaatar), // Zavkhan
    ("MN-059", Tz::Asia__Ulaanbaatar), // Dundgovi
    ("MN-061", Tz::Asia__Ulaanbaatar), // Dornod
    ("MN-063", Tz::Asia__Ulaanbaatar), // Dornogovi
    ("MN-064", Tz::Asia__Ulaanbaatar), // Govisumber
    ("MN-065", Tz::Asia__Ulaanbaatar), // Govi-Altai
    ("MN-067", Tz::Asia__Ulaanbaatar), // Bulgan
    ("MN-069", Tz::Asia__Ulaanbaatar), // Bayankhongor
    ("MN-073", Tz::Asia__Ulaanbaatar), // Arkhangai
    ("MN-043", Tz::Asia__Hovd),        // Khovd
    ("MN-046", Tz::Asia__Hovd),        // Uvs
    ("MN-071", Tz::Asia__Hovd),        // Bayan-Olgii
    // Democratic Republic of the Congo: provinces (ISO 3166-2:CD).
    ("CD-KN", Tz::Africa__Kinshasa),   // Kinshasa
    ("CD-BC", Tz::Africa__Kinshasa),   // Kongo Central
    ("CD-EQ", Tz::Africa__Kinshasa),   // Equateur
    ("CD-KG", Tz::Africa__Kinshasa),   // Kwango
    ("CD-KL", Tz::Africa__Kinshasa),   // Kwilu
    ("CD-MN", Tz::Africa__Kinshasa),   // Mai-Ndombe
    ("CD-MO", Tz::Africa__Kinshasa),   // Mongala
    ("CD-NU", Tz::Africa__Kinshasa),   // Nord-Ubangi
    ("CD-SU", Tz::Africa__Kinshasa),   // Sud-Ubangi
    ("CD-TU", Tz::Africa__Kinshasa),   // Tshuapa
    ("CD-HK", Tz::Africa__Lubumbashi), // Haut-Katanga
    ("CD-BU", Tz::Africa__Lubumbashi), // Bas-Uele
    ("CD-HL", Tz::Africa__Lubumbashi), // Haut-Lomami
    ("CD-HU", Tz::Africa__Lubumbashi), // Haut-Uele
    ("CD-IT", Tz::Africa__Lubumbashi), // Ituri
    ("CD-KC", Tz::Africa__Lubumbashi), // Kasai-Central
    ("CD-KE", Tz::Africa__Lubumbashi), // Kasai-Oriental
    ("CD-KS", Tz::Africa__Lubumbashi), // Kasai
    ("CD-LO", Tz::Africa__Lubumbashi), // Lomami
    ("CD-LU", Tz::Africa__Lubumbashi), // Lualaba
    ("CD-MA", Tz::Africa__Lubumbashi), // Maniema
    ("CD-NK", Tz::Africa__Lubumbashi), // Nord-Kivu
    ("CD-SA", Tz::Africa__Lubumbashi), // Sankuru
    ("CD-SK", Tz::Africa__Lubumbashi), // Sud-Kivu
    ("CD-TA", Tz::Africa__Lubumbashi), // Tanganyika
    ("CD-TO", Tz::Africa__Lubumbashi), // Tshopo
    // Argentina: provinces and the capital. SuperOffice documents AR-NQ (Neuquen), which is not the
    // ISO 3166-2 code (AR-Q) but the tz database's two-letter abbreviation, so these follow the tz
    // database's zone table.
    ("AR-CF", Tz::America__Argentina__Buenos_Aires), // Ciudad de Buenos Aires
    ("AR-BA", Tz::America__Argentina__Buenos_Aires), // Buenos Aires
    ("AR-CB", Tz::America__Argentina__Cordoba),      // Cordoba
    ("AR-CC", Tz::America__Argentina__Cordoba),      // Chaco
    ("AR-CN", Tz::America__Argentina__Cordoba),      // Corrientes
    ("AR-ER", Tz::America__Argentina__Cordoba),      // Entre Rios
    ("AR-FM", Tz::America__Argentina__Cordoba),      // Formosa
    ("AR-MN", Tz::America__Argentina__Cordoba),      // Misiones
    ("AR-SE", Tz::America__Argentina__Cordoba),      // Santiago del Estero
    ("AR-SF", Tz::America__Argentina__Cordoba),      // Santa Fe
    ("AR-SA", Tz::America__Argentina__Salta),        // Salta
    ("AR-LP", Tz::America__Argentina__Salta),        // La Pampa
    ("AR-NQ", Tz::America__Argentina__Salta),        // Neuquen
    ("AR-RN", Tz::America__Argentina__Salta),        // Rio Negro
    ("AR-JY", Tz::America__Argentina__Jujuy),        // Jujuy
    ("AR-TM", Tz::America__Argentina__Tucuman),      // Tucuman
    ("AR-CT", Tz::America__Argentina__Catamarca),    // Catamarca
    ("AR-CH", Tz::America__Argentina__Catamarca),    // Chubut
    ("AR-LR", Tz::America__Argentina__La_Rioja),     // La Rioja
    ("AR-SJ", Tz::America__Argentina__San_Juan),     // San Juan
    ("AR-MZ", Tz::America__Argentina__Mendoza),      // Mendoza
    ("AR-SL", Tz::America__Argentina__San_Luis),     // San Luis
    ("AR-SC", Tz::America__Argentina__Rio_Gallegos), // Santa Cruz
    ("AR-TF", Tz::America__Argentina__Ushuaia),      // Tierra del Fuego
    // Chile: regions (ISO 3166-2:CL). Easter Island belongs to Valparaiso and has no code of its
    // own.
    ("CL-RM", Tz::America__Santiago),     // Santiago Metropolitan
    ("CL-AN", Tz::America__Santiago),     // Antofagasta
    ("CL-AP", Tz::America__Santiago),     // Arica y Parinacota
    ("CL-AR", Tz::America__Santiago),     // Araucania
    ("CL-AT", Tz::America__Santiago),     // Atacama
    ("CL-BI", Tz::America__Santiago),     // Biobio
    ("CL-CO", Tz::America__Santiago),     // Coquimbo
    ("CL-LI", Tz::America__Santiago),     // O'Higgins
    ("CL-LL", Tz::America__Santiago),     // Los Lagos
    ("CL-LR", Tz::America__Santiago),     // Los Rios
    ("CL-ML", Tz::America__Santiago),     // Maule
    ("CL-NB", Tz::America__Santiago),     // Nuble
    ("CL-TA", Tz::America__Santiago),     // Tarapaca
    ("CL-VS", Tz::America__Santiago),     // Valparaiso
    ("CL-AI", Tz::America__Coyhaique),    // Aysen
    ("CL-MA", Tz::America__Punta_Arenas), // Magallanes
    // Regions of other countries whose zones differ from the country's main zone (ISO 3166-2).
    ("CN-XJ", Tz::Asia__Urumqi),           // Xinjiang
    ("EC-W", Tz::Pacific__Galapagos),      // Galapagos
    ("ES-CN", Tz::Atlantic__Canary),       // Canary Islands
    ("ES-CE", Tz::Africa__Ceuta),          // Ceuta
    ("ES-ML", Tz::Africa__Ceuta),          // Melilla
    ("FM-TRK", Tz::Pacific__Chuuk),        // Chuuk
    ("FM-YAP", Tz::Pacific__Chuuk),        // Yap
    ("FM-PNI", Tz::Pacific__Pohnpei),      // Pohnpei
    ("FM-KSA", Tz::Pacific__Kosrae),       // Kosrae
    ("KI-G", Tz::Pacific__Tarawa),         // Gilbert Islands
    ("KI-P", Tz::Pacific__Kanton),         // Phoenix Islands
    ("KI-L", Tz::Pacific__Kiritimati),     // Line Islands
    ("MH-KWA", Tz::Pacific__Kwajalein),    // Kwajalein
    ("MY-13", Tz::Asia__Kuching),          // Sarawak
    ("MY-12", Tz::Asia__Kuching),          // Sabah
    ("MY-15", Tz::Asia__Kuching),          // Labuan
    ("NZ-CIT", Tz::Pacific__Chatham),      // Chatham Islands
    ("PG-NSB", Tz::Pacific__Bougainville), // Bougainville
    ("PS-GZA", Tz::Asia__Gaza),            // Gaza
    ("PS-DEB", Tz::Asia__Gaza),            // Deir al-Balah
    ("PS-KYS", Tz::Asia__Gaza),            // Khan Yunis
    ("PS-NGZ", Tz::Asia__Gaza),            // North Gaza
    ("PS-RFH", Tz::Asia__Gaza),            // Rafah
    ("PT-20", Tz::Atlantic__Azores),       // Azores
    ("PT-30", Tz::Atlantic__Madeira),      // Madeira
    ("UA-43", Tz::Europe__Simferopol),     // Crimea
    ("UA-40", Tz::Europe__Simferopol),     // Sevastopol
    ("UM-71", Tz::Pacific__Midway),        // Midway Islands
    ("UM-79", Tz::Pacific__Wake),          // Wake Island
];
