//! The lexer of `$filter`: words, whole numbers, quoted strings and the punctuation `( ) , =`, each
//! with the character offset where it starts. Whether a word is a keyword, an operator or a column
//! is the parser's call, since the same word can be any of them by where it stands.

use super::FilterError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// Starts with an ASCII letter or `_`, continues with ASCII letters, digits and `_`.
    Word(String),
    Int(i64),
    /// The text between the quotes, with `''` read as one quote.
    Text(String),
    Open,
    Close,
    Comma,
    Equals,
    /// After the last token; never produced by [`tokenize`], which the parser stands in for.
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub kind: TokenKind,
    /// Character offset of the token's first character.
    pub position: usize,
    /// The token as written, for messages.
    pub text: String,
}

/// Splits `input` into tokens. Fails on the first character that starts no token, on a string
/// without its closing quote, and on a number that is malformed or does not fit in 64 bits.
pub(super) fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(&c) = chars.get(at) {
        let start = at;
        let kind = match c {
            c if c.is_whitespace() => {
                at += 1;
                continue;
            }
            '(' | ')' | ',' | '=' => {
                at += 1;
                match c {
                    '(' => TokenKind::Open,
                    ')' => TokenKind::Close,
                    ',' => TokenKind::Comma,
                    _ => TokenKind::Equals,
                }
            }
            '\'' => {
                let (text, end) = read_string(&chars, start)?;
                at = end;
                TokenKind::Text(text)
            }
            c if c.is_ascii_digit() || c == '-' => {
                // The whole run of word characters and dots is taken, so that `12ab` and `1.5`
                // are one bad number rather than a number followed by something else.
                at = run_end(&chars, start + 1, |c| is_word_char(c) || c == '.');
                let text = slice(&chars, start, at);
                if text == "-" {
                    return Err(FilterError::at(start, "unexpected \"-\""));
                }
                TokenKind::Int(read_int(&text, start)?)
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                at = run_end(&chars, start + 1, is_word_char);
                TokenKind::Word(slice(&chars, start, at))
            }
            other => return Err(FilterError::at(start, format!("unexpected \"{other}\""))),
        };
        tokens.push(Token {
            kind,
            position: start,
            text: slice(&chars, start, at),
        });
    }
    Ok(tokens)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The offset just past the characters from `from` on that `belongs` accepts.
fn run_end(chars: &[char], from: usize, belongs: impl Fn(char) -> bool) -> usize {
    let count = chars
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&c| belongs(c))
        .count();
    from + count
}

fn slice(chars: &[char], start: usize, end: usize) -> String {
    chars.get(start..end).unwrap_or_default().iter().collect()
}

/// Reads the string whose opening quote is at `start`; returns its text and the offset past the
/// closing quote.
fn read_string(chars: &[char], start: usize) -> Result<(String, usize), FilterError> {
    let mut text = String::new();
    let mut at = start + 1;
    loop {
        match chars.get(at) {
            None => {
                return Err(FilterError::at(start, "unterminated string starting"));
            }
            Some('\'') if chars.get(at + 1) == Some(&'\'') => {
                text.push('\'');
                at += 2;
            }
            Some('\'') => return Ok((text, at + 1)),
            Some(&c) => {
                text.push(c);
                at += 1;
            }
        }
    }
}

fn read_int(text: &str, start: usize) -> Result<i64, FilterError> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FilterError::at(
            start,
            format!("\"{text}\" is not a whole number"),
        ));
    }
    text.parse()
        .map_err(|_| FilterError::at(start, format!("the number \"{text}\" is too large")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<TokenKind> {
        tokenize(input)
            .unwrap()
            .into_iter()
            .map(|token| token.kind)
            .collect()
    }

    fn word(s: &str) -> TokenKind {
        TokenKind::Word(s.to_string())
    }

    #[test]
    fn a_condition_splits_into_words_numbers_strings_and_punctuation() {
        assert_eq!(
            kinds("State oneOf (1,-2, 3)=Name_2 'it''s'"),
            vec![
                word("State"),
                word("oneOf"),
                TokenKind::Open,
                TokenKind::Int(1),
                TokenKind::Comma,
                TokenKind::Int(-2),
                TokenKind::Comma,
                TokenKind::Int(3),
                TokenKind::Close,
                TokenKind::Equals,
                word("Name_2"),
                TokenKind::Text("it's".to_string()),
            ]
        );
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let tokens = tokenize("'ÆØÅ' eq 'ü'").unwrap();
        let positions: Vec<usize> = tokens.iter().map(|t| t.position).collect();
        assert_eq!(positions, vec![0, 6, 9]);
        assert_eq!(tokens[0].text, "'ÆØÅ'");
    }

    #[test]
    fn an_empty_string_and_a_string_of_one_quote_are_strings() {
        assert_eq!(
            kinds("'' ''''"),
            vec![
                TokenKind::Text(String::new()),
                TokenKind::Text("'".to_string())
            ]
        );
    }

    #[test]
    fn a_string_without_its_closing_quote_is_refused_where_it_starts() {
        let error = tokenize("Name is 'abc''").unwrap_err();
        assert_eq!(error.message, "unterminated string starting at position 8");
        assert_eq!(error.position, 8);
    }

    #[test]
    fn malformed_and_oversized_numbers_are_refused() {
        assert_eq!(
            tokenize("State eq 12ab").unwrap_err().message,
            "\"12ab\" is not a whole number at position 9"
        );
        assert_eq!(
            tokenize("State eq 1.5").unwrap_err().message,
            "\"1.5\" is not a whole number at position 9"
        );
        assert_eq!(
            tokenize("State eq -x").unwrap_err().message,
            "\"-x\" is not a whole number at position 9"
        );
        assert_eq!(
            tokenize("State eq - 1").unwrap_err().message,
            "unexpected \"-\" at position 9"
        );
        assert_eq!(
            tokenize("State eq 9223372036854775808")
                .unwrap_err()
                .message,
            "the number \"9223372036854775808\" is too large at position 9"
        );
        assert_eq!(
            kinds("-9223372036854775808"),
            vec![TokenKind::Int(i64::MIN)]
        );
    }

    #[test]
    fn a_character_that_starts_no_token_is_named() {
        let error = tokenize("State < 3").unwrap_err();
        assert_eq!(error.message, "unexpected \"<\" at position 6");
    }
}
