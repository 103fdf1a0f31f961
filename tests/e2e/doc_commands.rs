//! The documents' fenced blocks and the command lines in them, for the
//! tests that run what README.md and COMPONENTS.md show.

use std::path::PathBuf;

use crate::common::workspace;

/// A fenced block: its info string and its text.
pub struct Block {
    pub info: String,
    pub text: String,
}

pub fn blocks(markdown: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut open: Option<Block> = None;
    for line in markdown.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.trim().to_string(),
                    text: String::new(),
                })
            }
            (Some(_), Some(_)) => found.extend(open.take()),
            (Some(block), None) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "an unclosed code block");
    found
}

/// A command line split into environment assignments, words and the file
/// redirected to stdin (relative to the workspace). The documents'
/// commands use no quoting.
pub struct CommandLine {
    pub env: Vec<(String, String)>,
    pub words: Vec<String>,
    pub stdin: Option<PathBuf>,
}

pub fn parse(line: &str) -> CommandLine {
    let mut env = Vec::new();
    let mut words = Vec::new();
    let mut stdin = None;
    let mut tokens = line.split_whitespace().peekable();
    while let Some(token) = tokens.peek() {
        match token.split_once('=') {
            Some((name, value))
                if words.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_') =>
            {
                env.push((name.to_string(), value.to_string()));
                tokens.next();
            }
            _ => break,
        }
    }
    while let Some(token) = tokens.next() {
        if token == "<" {
            let file = tokens.next().expect("a file after <");
            stdin = Some(workspace().join(file));
        } else {
            assert!(
                !token.contains(['"', '\'', '|', '>', '&', ';', '$', '\\']),
                "this test runs commands without a shell: {line}"
            );
            words.push(token.to_string());
        }
    }
    CommandLine { env, words, stdin }
}

pub fn flag_value<'a>(words: &'a [String], flag: &str) -> Option<&'a str> {
    words
        .iter()
        .position(|w| w == flag)
        .and_then(|at| words.get(at + 1))
        .map(String::as_str)
}
