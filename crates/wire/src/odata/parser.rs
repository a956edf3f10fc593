//! The recursive-descent parser of `$filter`: tokens in, a [`Filter`] out. It checks syntax and the
//! shape of each operand (`between` takes two values, `today` none) but not types, which need the
//! columns and are [`super::bind`]'s.
//!
//! The grammar, keywords case-insensitive:
//!
//! ```text
//! filter    = or
//! or        = and { "or" and }
//! and       = unary { "and" unary }
//! unary     = "not" unary | "(" or ")" | function | condition
//! condition = column operator [ operand ]
//! operand   = value | "(" value { "," value } ")"
//! function  = name "(" arguments ")"
//! value     = whole number | 'quoted string'
//! ```
//!
//! Recursion happens only at `not` and `(`, and both count against [`MAX_DEPTH`]; `and` and `or`
//! chains are loops.

use super::operator::Form;
use super::token::{Token, TokenKind, tokenize};
use super::{
    Condition, Filter, FilterError, Literal, MAX_DEPTH, MAX_LENGTH, Operand, Operator, Period,
    Value,
};

/// Parses a `$filter` value. An empty filter is an error: a caller with nothing to filter on
/// should not call this.
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    // `nth` stops counting at the limit, so a huge input costs no more than a long one.
    if input.chars().nth(MAX_LENGTH).is_some() {
        return Err(FilterError::whole(
            MAX_LENGTH,
            format!("the filter is longer than {MAX_LENGTH} characters"),
        ));
    }
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Err(FilterError::whole(0, "the filter is empty"));
    }
    let mut parser = Parser {
        tokens,
        next: 0,
        end: Token {
            kind: TokenKind::End,
            position: input.chars().count(),
            text: String::new(),
        },
        depth: 0,
    };
    let filter = parser.or()?;
    match parser.peek().kind {
        TokenKind::End => Ok(filter),
        _ => Err(parser.unexpected()),
    }
}

struct Parser {
    tokens: Vec<Token>,
    /// Index of the next token to read.
    next: usize,
    /// Stands in for every read past the last token, so reads need no bounds checks.
    end: Token,
    /// How many `(` and `not` enclose the token being read.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        self.tokens.get(self.next).unwrap_or(&self.end)
    }

    fn peek_second(&self) -> &Token {
        self.tokens.get(self.next + 1).unwrap_or(&self.end)
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if self.next < self.tokens.len() {
            self.next += 1;
        }
        token
    }

    fn at_keyword(&self, keyword: &str) -> bool {
        is_keyword(self.peek(), keyword)
    }

    /// The next token is where `what` should have been: says what came before instead, since the
    /// position already points at the offender.
    fn expected(&self, what: &str) -> FilterError {
        let token = self.peek();
        if token.kind == TokenKind::End {
            return FilterError::whole(
                token.position,
                format!("the filter ends where {what} was expected"),
            );
        }
        let previous = self
            .next
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or("", |t| t.text.as_str());
        FilterError::at(
            token.position,
            format!("expected {what} after \"{previous}\""),
        )
    }

    /// The next token has no place here at all.
    fn unexpected(&self) -> FilterError {
        let token = self.peek();
        if token.kind == TokenKind::End {
            return FilterError::whole(token.position, "the filter ends too soon");
        }
        FilterError::at(token.position, format!("unexpected \"{}\"", token.text))
    }

    /// Opens one level of nesting for the `(` or `not` at `position`.
    fn enter(&mut self, position: usize) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::at(
                position,
                format!("the filter nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let first = self.and()?;
        let mut rest = Vec::new();
        while self.at_keyword("or") {
            self.bump();
            rest.push(self.and()?);
        }
        Ok(join(first, rest, Filter::Or))
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let first = self.unary()?;
        let mut rest = Vec::new();
        while self.at_keyword("and") {
            self.bump();
            rest.push(self.unary()?);
        }
        Ok(join(first, rest, Filter::And))
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        let token = self.peek().clone();
        match &token.kind {
            TokenKind::Word(_) if is_keyword(&token, "not") => {
                self.bump();
                self.enter(token.position)?;
                let inner = self.unary()?;
                self.leave();
                Ok(Filter::Not(Box::new(inner)))
            }
            TokenKind::Open => {
                self.bump();
                self.enter(token.position)?;
                let inner = self.or()?;
                match self.peek().kind {
                    TokenKind::Close => {
                        self.bump();
                    }
                    TokenKind::End => {
                        return Err(FilterError::at(token.position, "unclosed \"(\""));
                    }
                    _ => return Err(self.unexpected()),
                }
                self.leave();
                Ok(inner)
            }
            TokenKind::Word(_) if is_keyword(&token, "and") || is_keyword(&token, "or") => {
                Err(self.unexpected())
            }
            TokenKind::Word(word) if self.peek_second().kind == TokenKind::Open => {
                self.function(word, token.position)
            }
            TokenKind::Word(word) => {
                self.bump();
                self.condition(word.clone(), token.position)
            }
            TokenKind::End => Err(self.expected("a condition")),
            _ => Err(self.unexpected()),
        }
    }

    /// `column operator [operand]`, the column already read.
    fn condition(&mut self, column: String, column_position: usize) -> Result<Filter, FilterError> {
        let token = self.peek().clone();
        let operator = match &token.kind {
            TokenKind::Word(word) => Operator::infix(word).ok_or_else(|| {
                FilterError::at(token.position, format!("unknown operator \"{word}\""))
            })?,
            TokenKind::Equals => Operator::EqualSign,
            _ => return Err(self.expected("an operator")),
        };
        self.bump();
        let operand_position = self.peek().position;
        let operand = match operator.form() {
            Form::Nothing | Form::OptionalOne if !self.at_operand() => Operand::Nothing,
            Form::Nothing => {
                return Err(FilterError::at(
                    operand_position,
                    format!("operator \"{operator}\" takes no value"),
                ));
            }
            _ => self.operand()?,
        };
        if let Some(problem) = operator.operand_problem(&operand) {
            return Err(FilterError::at(
                operand_position,
                format!("operator \"{operator}\" {problem}"),
            ));
        }
        Ok(Filter::Condition(Condition {
            column,
            operator,
            operand,
            column_position,
            operator_position: token.position,
        }))
    }

    fn at_operand(&self) -> bool {
        matches!(
            self.peek().kind,
            TokenKind::Int(_) | TokenKind::Text(_) | TokenKind::Open
        )
    }

    /// A value, or a parenthesised list of values.
    fn operand(&mut self) -> Result<Operand, FilterError> {
        if self.peek().kind != TokenKind::Open {
            return Ok(Operand::Single(self.value()?));
        }
        self.bump();
        let mut values = vec![self.value()?];
        loop {
            match self.peek().kind {
                TokenKind::Comma => {
                    self.bump();
                    values.push(self.value()?);
                }
                TokenKind::Close => {
                    self.bump();
                    return Ok(Operand::List(values));
                }
                _ => return Err(self.expected("\",\" or \")\"")),
            }
        }
    }

    fn value(&mut self) -> Result<Value, FilterError> {
        let token = self.peek();
        let literal = match &token.kind {
            TokenKind::Int(n) => Literal::Int(*n),
            TokenKind::Text(text) => Literal::Text(text.clone()),
            _ => return Err(self.expected("a value")),
        };
        let position = token.position;
        self.bump();
        Ok(Value { literal, position })
    }

    /// `name(arguments)`, the name not yet read and known to be followed by `(`.
    fn function(&mut self, name: &str, position: usize) -> Result<Filter, FilterError> {
        let operator = Operator::function(name)
            .ok_or_else(|| FilterError::at(position, format!("unknown function \"{name}\"")))?;
        self.bump();
        self.punctuation(TokenKind::Open, "\"(\"")?;
        let (column, column_position, operand) = match operator.form() {
            Form::ColumnValue => {
                let (column, column_position) = self.column()?;
                self.punctuation(TokenKind::Comma, "\",\"")?;
                (column, column_position, Operand::Single(self.value()?))
            }
            Form::ValueColumn => {
                let value = self.value()?;
                self.punctuation(TokenKind::Comma, "\",\"")?;
                let (column, column_position) = self.column()?;
                (column, column_position, Operand::Single(value))
            }
            Form::ColumnPeriod | Form::ColumnCountPeriod => {
                let (column, column_position) = self.column()?;
                self.punctuation(TokenKind::Comma, "\",\"")?;
                let count = if operator.form() == Form::ColumnCountPeriod {
                    let count = self.count()?;
                    self.punctuation(TokenKind::Comma, "\",\"")?;
                    Some(count)
                } else {
                    None
                };
                let period = self.period()?;
                (column, column_position, Operand::Period { count, period })
            }
            // `Operator::function` finds only functions, which have one of the forms above.
            Form::Nothing | Form::One | Form::OptionalOne | Form::Pair | Form::OneOrList => {
                return Err(FilterError::at(
                    position,
                    format!("unknown function \"{name}\""),
                ));
            }
        };
        self.punctuation(TokenKind::Close, "\")\"")?;
        Ok(Filter::Condition(Condition {
            column,
            operator,
            operand,
            column_position,
            operator_position: position,
        }))
    }

    fn punctuation(&mut self, kind: TokenKind, what: &str) -> Result<(), FilterError> {
        if self.peek().kind != kind {
            return Err(self.expected(what));
        }
        self.bump();
        Ok(())
    }

    fn column(&mut self) -> Result<(String, usize), FilterError> {
        let token = self.peek();
        let TokenKind::Word(word) = &token.kind else {
            return Err(self.expected("a column name"));
        };
        let column = (word.clone(), token.position);
        self.bump();
        Ok(column)
    }

    fn count(&mut self) -> Result<u32, FilterError> {
        let token = self.peek();
        let TokenKind::Int(n) = token.kind else {
            return Err(self.expected("a number of periods"));
        };
        let count = u32::try_from(n).map_err(|_| {
            FilterError::at(
                token.position,
                format!("\"{}\" is not a number of periods", token.text),
            )
        })?;
        self.bump();
        Ok(count)
    }

    fn period(&mut self) -> Result<Period, FilterError> {
        let token = self.peek();
        let TokenKind::Word(word) = &token.kind else {
            return Err(self.expected("a period (day, week, month, quarter, half or year)"));
        };
        let period = Period::named(word)
            .ok_or_else(|| FilterError::at(token.position, format!("unknown period \"{word}\"")))?;
        self.bump();
        Ok(period)
    }
}

fn is_keyword(token: &Token, keyword: &str) -> bool {
    matches!(&token.kind, TokenKind::Word(word) if word.eq_ignore_ascii_case(keyword))
}

/// `first` alone, or `first` and `rest` under one `And` or `Or`.
fn join(first: Filter, mut rest: Vec<Filter>, node: fn(Vec<Filter>) -> Filter) -> Filter {
    if rest.is_empty() {
        return first;
    }
    rest.insert(0, first);
    node(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn and_chains_stay_flat_however_long() {
        let text = vec!["State eq 1"; 250].join(" and ");
        let Filter::And(items) = parse(&text).unwrap() else {
            panic!("not an and");
        };
        assert_eq!(items.len(), 250);
    }

    #[test]
    fn a_unary_operator_followed_by_a_value_names_the_operator() {
        let error = parse("LastStarted today '2024-1-1'").unwrap_err();
        assert_eq!(
            error.message,
            "operator \"today\" takes no value at position 18"
        );
    }

    #[test]
    fn nesting_counts_parentheses_and_not_together() {
        let ok = format!("{}State eq 1{}", "not (".repeat(16), ")".repeat(16));
        assert!(parse(&ok).is_ok());
        let deep = format!("{}State eq 1{}", "not (".repeat(17), ")".repeat(17));
        let error = parse(&deep).unwrap_err();
        // The 33rd level is the `not` of the 17th "not (", at offset 16 * 5.
        assert_eq!(error.position, 80);
    }
}
