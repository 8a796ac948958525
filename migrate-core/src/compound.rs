//! Where a MySQL statement ends: at a `;` (or the delimiter a `DELIMITER`
//! line names, as the `mysql` client reads mysqldump's files; the
//! splitter follows those lines) outside the body of a stored
//! routine, trigger or event (`CREATE PROCEDURE … BEGIN …; …; END`), whose
//! inner `;`s the `mysql` client needs a `DELIMITER` line for. The body is
//! followed through its `BEGIN … END` and `CASE … END` (the statement's
//! `END CASE` and the expression's `END` alike); `END IF`, `END LOOP`,
//! `END WHILE` and `END REPEAT` close blocks that are not counted.

use crate::lex::Kind;

/// A MySQL statement under way.
#[derive(Debug, Default)]
pub(crate) struct Compound {
    /// The statement's first word, lowercase.
    first: Option<String>,
    /// Whether it creates a routine, a trigger or an event.
    routine: bool,
    /// How many `BEGIN`s and `CASE`s are open.
    depth: u32,
    /// An `END` was read: what follows says what it closes.
    after_end: bool,
}

impl Compound {
    /// Reads one piece; whether it is the `;` that ends the statement.
    pub(crate) fn read(&mut self, kind: Kind, slice: &str) -> bool {
        let word = (kind == Kind::Word).then(|| slice.to_ascii_lowercase());
        if std::mem::take(&mut self.after_end) {
            match word.as_deref() {
                Some("if" | "loop" | "while" | "repeat") => return false,
                Some("case") => {
                    self.depth = self.depth.saturating_sub(1);
                    return false;
                }
                _ => self.depth = self.depth.saturating_sub(1),
            }
        }
        match (kind, word.as_deref()) {
            (Kind::Punct, _) => slice == ";" && self.depth == 0,
            (_, Some(word)) => {
                if self.first.is_none() {
                    self.first = Some(word.to_owned());
                }
                if self.first.as_deref() == Some("create")
                    && matches!(word, "procedure" | "function" | "trigger" | "event")
                {
                    self.routine = true;
                }
                if self.routine {
                    match word {
                        "begin" | "case" => self.depth += 1,
                        "end" => self.after_end = true,
                        _ => {}
                    }
                }
                false
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Dialect, split};

    #[test]
    fn a_routines_body_is_one_statement_with_its_inner_semicolons() {
        let sql = "CREATE PROCEDURE p(IN n INT)\nBEGIN\n  DECLARE i INT DEFAULT 0;\n  \
                   WHILE i < n DO\n    SET i = i + 1;\n  END WHILE;\n  \
                   IF n > 2 THEN SELECT CASE WHEN n > 3 THEN 'a' ELSE 'b' END; END IF;\n  \
                   CASE n WHEN 1 THEN SELECT 1; ELSE SELECT 2; END CASE;\nEND;\n\
                   CREATE TABLE t (x INT);";
        let statements = split(sql, 1, Dialect::Mysql).expect("splits");
        assert_eq!(statements.len(), 2, "{statements:#?}");
        assert!(statements[0].sql.ends_with("END;"), "{}", statements[0].sql);
        assert_eq!(statements[1].sql, "CREATE TABLE t (x INT);");
        assert_eq!(statements[1].line, 10);
    }

    #[test]
    fn a_trigger_with_a_label_and_plain_statements_split_at_each_semicolon() {
        let sql = "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW main: BEGIN SET NEW.x = 1; \
                   END main;\nINSERT INTO a VALUES (1); UPDATE a SET x = 2;";
        let statements = split(sql, 1, Dialect::Mysql).expect("splits");
        assert_eq!(statements.len(), 3, "{statements:#?}");
    }

    #[test]
    fn delimiter_lines_are_read_as_the_mysql_client_reads_them() {
        let sql = "DELIMITER //\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1; SELECT 2;\nEND//\n\
                   CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1//\n\
                   DELIMITER ;\nCREATE TABLE b (x INT);\nSELECT 'a//b';";
        let statements = split(sql, 1, Dialect::Mysql).expect("splits");
        let texts: Vec<(&str, u32)> = statements
            .iter()
            .map(|s| (s.sql.as_ref(), s.line))
            .collect();
        assert_eq!(
            texts,
            [
                ("CREATE PROCEDURE p()\nBEGIN\n  SELECT 1; SELECT 2;\nEND", 2),
                (
                    "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1",
                    6
                ),
                ("CREATE TABLE b (x INT);", 8),
                ("SELECT 'a//b';", 9)
            ]
        );
        // Glued to the word before it, as mysqldump writes `END$$`.
        let glued =
            "DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\nDELIMITER ;\nSELECT 2;";
        let statements = split(glued, 1, Dialect::Mysql).expect("splits");
        let texts: Vec<&str> = statements.iter().map(|s| s.sql.as_ref()).collect();
        assert_eq!(
            texts,
            ["CREATE PROCEDURE p() BEGIN SELECT 1; END", "SELECT 2;"]
        );
        let empty = split("DELIMITER\nSELECT 1;", 3, Dialect::Mysql).expect_err("no delimiter");
        assert_eq!(empty.line(), 3);
    }
}
