//! The chooser on a terminal: a filter line above the list, edited with
//! the keys of a shell's line editor (Backspace, Ctrl-W deletes the last
//! word, Ctrl-U clears the line), arrows (or Ctrl-P, Ctrl-N) to move, Enter
//! to choose, Esc or Ctrl-C to cancel. When the filter matches nothing, a
//! line says so and Enter waits for a filter that does. Drawn on stderr,
//! so stdout stays the command's output.

use std::cmp::Reverse;
use std::io::{self, Write};

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::{cursor, queue, style, terminal};
use fuzzy_matcher::skim::SkimMatcherV2;
use ssocred_core::domain::text::visible;

use super::match_score;

/// How many options are shown at once.
const PAGE: usize = 15;

/// The help line under the list.
const HELP: &str = "[type words to filter (account name, id, role: `prod admin`); Ctrl-W deletes a word, Ctrl-U the filter; arrows to move, enter to choose, esc to cancel]";

/// What a key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Keep asking.
    Continue,
    /// The option at this index (of the options given) was chosen.
    Chosen(usize),
    /// Esc or Ctrl-C.
    Cancelled,
}

/// The list being filtered: the options, the filter typed, the options it
/// matches (best first, equal scores in the given order), the highlighted
/// one and the first one on the page.
pub struct Chooser {
    options: Vec<String>,
    input: String,
    shown: Vec<usize>,
    at: usize,
    top: usize,
    matcher: SkimMatcherV2,
}

impl Chooser {
    /// The chooser over `options`, with an empty filter.
    pub fn new(options: Vec<String>) -> Chooser {
        let mut chooser = Chooser {
            options,
            input: String::new(),
            shown: Vec::new(),
            at: 0,
            top: 0,
            matcher: SkimMatcherV2::default().ignore_case(),
        };
        chooser.refilter();
        chooser
    }

    fn refilter(&mut self) {
        let mut scored: Vec<(usize, i64)> = self
            .options
            .iter()
            .enumerate()
            .filter_map(|(i, o)| match_score(&self.matcher, &self.input, o).map(|s| (i, s)))
            .collect();
        scored.sort_by_key(|(i, s)| (Reverse(*s), *i));
        self.shown = scored.into_iter().map(|(i, _)| i).collect();
        self.at = 0;
        self.top = 0;
    }

    fn edit(&mut self, change: impl FnOnce(&mut String)) {
        let before = self.input.clone();
        change(&mut self.input);
        if self.input != before {
            self.refilter();
        }
    }

    /// Moves the highlight by `by` rows; a single step wraps around, a
    /// page stops at the ends.
    fn move_by(&mut self, by: isize) {
        let len = self.shown.len();
        if len == 0 {
            return;
        }
        let last = len - 1;
        self.at = match (by, self.at) {
            (-1, 0) => last,
            (1, at) if at == last => 0,
            (by, at) if by < 0 => at.saturating_sub(by.unsigned_abs()),
            (by, at) => at.saturating_add(by.unsigned_abs()).min(last),
        };
        if self.at < self.top {
            self.top = self.at;
        } else if self.at >= self.top + PAGE {
            self.top = self.at + 1 - PAGE;
        }
    }

    /// Applies one key.
    pub fn key(&mut self, key: KeyEvent) -> Step {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let page = isize::try_from(PAGE).unwrap_or(isize::MAX);
        match key.code {
            KeyCode::Esc => return Step::Cancelled,
            KeyCode::Char('c') if ctrl => return Step::Cancelled,
            KeyCode::Enter => {
                // Nothing matched: Enter waits for a filter that does.
                if let Some(&index) = self.shown.get(self.at) {
                    return Step::Chosen(index);
                }
            }
            KeyCode::Char('u') if ctrl => self.edit(String::clear),
            KeyCode::Char('w') if ctrl => self.edit(delete_word),
            KeyCode::Backspace => self.edit(backspace),
            KeyCode::Char('h') if ctrl => self.edit(backspace),
            KeyCode::Up => self.move_by(-1),
            KeyCode::Char('p') if ctrl => self.move_by(-1),
            KeyCode::Down => self.move_by(1),
            KeyCode::Char('n') if ctrl => self.move_by(1),
            KeyCode::PageUp => self.move_by(-page),
            KeyCode::PageDown => self.move_by(page),
            KeyCode::Home => self.move_by(isize::MIN),
            KeyCode::End => self.move_by(isize::MAX),
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
                self.edit(|s| s.push(c));
            }
            _ => {}
        }
        Step::Continue
    }

    /// The lines to draw: the question and filter, the page of options
    /// (the highlighted one marked `>`), or the line saying nothing
    /// matches, and the help.
    pub fn lines(&self, message: &str) -> Vec<String> {
        let mut lines = vec![format!("? {message} {}", visible(&self.input))];
        if self.shown.is_empty() {
            lines.push(format!(
                "  no role matches `{}`: Ctrl-W deletes a word, Ctrl-U the whole filter",
                visible(&self.input)
            ));
        }
        for (row, &index) in self.shown.iter().enumerate().skip(self.top).take(PAGE) {
            let mark = if row == self.at { '>' } else { ' ' };
            lines.push(format!("{mark} {}", self.options[index]));
        }
        lines.push(HELP.to_owned());
        lines
    }
}

/// Backspace: the last character.
fn backspace(input: &mut String) {
    input.pop();
}

/// Ctrl-W as in a shell: the spaces before the cursor, then the word.
fn delete_word(input: &mut String) {
    let kept = input.trim_end().len();
    input.truncate(kept);
    let start = input.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    input.truncate(start);
}

/// The terminal in raw mode with the cursor hidden, restored on drop, so
/// an error or a panic does not leave the terminal raw.
struct Raw;

impl Raw {
    fn enter() -> io::Result<Raw> {
        terminal::enable_raw_mode()?;
        let _ = queue!(io::stderr(), cursor::Hide);
        Ok(Raw)
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        let mut err = io::stderr();
        let _ = queue!(err, cursor::Show);
        let _ = err.flush();
        let _ = terminal::disable_raw_mode();
    }
}

/// Draws `lines` over the `drawn` lines drawn before, each cut to the
/// terminal's width so that none wraps (the count of lines to redraw
/// over would be wrong); returns how many lines are drawn now.
fn draw(out: &mut impl Write, drawn: usize, lines: &[String]) -> io::Result<usize> {
    let width = terminal::size().map_or(80, |(w, _)| usize::from(w).max(2));
    queue!(out, cursor::MoveToColumn(0))?;
    if let Some(up) = drawn.checked_sub(1).filter(|up| *up > 0) {
        queue!(out, cursor::MoveUp(u16::try_from(up).unwrap_or(u16::MAX)))?;
    }
    queue!(out, terminal::Clear(terminal::ClearType::FromCursorDown))?;
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            queue!(out, style::Print("\r\n"))?;
        }
        let cut: String = line.chars().take(width - 1).collect();
        queue!(out, style::Print(cut))?;
    }
    out.flush()?;
    Ok(lines.len())
}

/// Asks on the terminal: the index of the option chosen, or `None` when
/// cancelled. Leaves one line, `? MESSAGE CHOICE`, once chosen.
pub fn ask(message: &str, options: Vec<String>) -> io::Result<Option<usize>> {
    let mut chooser = Chooser::new(options);
    let mut err = io::stderr();
    let raw = Raw::enter()?;
    let mut drawn = draw(&mut err, 0, &chooser.lines(message))?;
    let step = loop {
        let step = match event::read()? {
            Event::Key(key) if key.kind != KeyEventKind::Release => chooser.key(key),
            _ => Step::Continue,
        };
        if step != Step::Continue {
            break step;
        }
        drawn = draw(&mut err, drawn, &chooser.lines(message))?;
    };
    let summary = match step {
        Step::Chosen(index) => vec![format!("? {message} {}", chooser.options[index])],
        _ => Vec::new(),
    };
    draw(&mut err, drawn, &summary)?;
    queue!(err, style::Print("\r\n"))?;
    drop(raw);
    Ok(match step {
        Step::Chosen(index) => Some(index),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(chooser: &mut Chooser, code: KeyCode, modifiers: KeyModifiers) -> Step {
        chooser.key(KeyEvent::new(code, modifiers))
    }

    fn typed(chooser: &mut Chooser, text: &str) {
        for c in text.chars() {
            press(chooser, KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    fn ctrl(chooser: &mut Chooser, c: char) -> Step {
        press(chooser, KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn options() -> Vec<String> {
        ["Dev 2 Developer", "Prod 1 Admin", "Prod 1 ReadOnly"]
            .map(str::to_owned)
            .to_vec()
    }

    #[test]
    fn ctrl_w_deletes_a_word_and_ctrl_u_the_line() {
        let mut c = Chooser::new(options());
        typed(&mut c, "prod  read");
        assert_eq!(c.input, "prod  read");
        assert_eq!(c.shown, [2]);
        ctrl(&mut c, 'w');
        assert_eq!(c.input, "prod  ");
        ctrl(&mut c, 'w');
        assert_eq!(c.input, "");
        typed(&mut c, "prod adm");
        ctrl(&mut c, 'u');
        assert_eq!(c.input, "");
        assert_eq!(c.shown, [0, 1, 2]);
        press(&mut c, KeyCode::Backspace, KeyModifiers::NONE);
        assert_eq!(c.input, "");
        typed(&mut c, "dev");
        press(&mut c, KeyCode::Backspace, KeyModifiers::NONE);
        assert_eq!(c.input, "de");
    }

    #[test]
    fn no_match_says_so_and_enter_waits() {
        let mut c = Chooser::new(options());
        typed(&mut c, "zzz");
        assert!(c.shown.is_empty());
        let lines = c.lines("Role:");
        assert_eq!(lines[0], "? Role: zzz");
        assert!(lines[1].contains("no role matches `zzz`"), "{lines:?}");
        assert_eq!(
            press(&mut c, KeyCode::Enter, KeyModifiers::NONE),
            Step::Continue
        );
        ctrl(&mut c, 'u');
        typed(&mut c, "admin");
        assert_eq!(
            press(&mut c, KeyCode::Enter, KeyModifiers::NONE),
            Step::Chosen(1)
        );
    }

    #[test]
    fn arrows_move_and_wrap_and_esc_or_ctrl_c_cancel() {
        let mut c = Chooser::new(options());
        press(&mut c, KeyCode::Up, KeyModifiers::NONE);
        assert_eq!(c.at, 2, "up from the top wraps to the bottom");
        ctrl(&mut c, 'n');
        assert_eq!(c.at, 0);
        press(&mut c, KeyCode::End, KeyModifiers::NONE);
        assert_eq!(c.at, 2);
        let lines = c.lines("Role:");
        assert_eq!(lines[3], "> Prod 1 ReadOnly");
        assert_eq!(
            press(&mut c, KeyCode::Esc, KeyModifiers::NONE),
            Step::Cancelled
        );
        assert_eq!(ctrl(&mut c, 'c'), Step::Cancelled);
    }

    #[test]
    fn a_long_list_pages_with_the_highlight() {
        let many: Vec<String> = (0..40).map(|i| format!("Acct {i:02} Role")).collect();
        let mut c = Chooser::new(many);
        press(&mut c, KeyCode::PageDown, KeyModifiers::NONE);
        press(&mut c, KeyCode::PageDown, KeyModifiers::NONE);
        assert_eq!(c.at, 2 * PAGE);
        let lines = c.lines("Role:");
        assert_eq!(lines.len(), PAGE + 2);
        assert!(
            lines.contains(&format!("> Acct {:02} Role", 2 * PAGE)),
            "{lines:?}"
        );
    }
}
