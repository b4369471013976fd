//! The repository's Markdown must stand on its own: a fresh clone has no `../shared`, and a
//! renamed heading or file silently breaks every link to it. This test reads `README.md` and
//! every `docs/**/*.md`, and fails, naming file and line, for each relative link (inline
//! `[text](target)`, images, and reference definitions `[label]: target`) whose target does not
//! exist in the repository, lies outside it or in a git-ignored path, or whose `#anchor` is not
//! a heading of the target Markdown file (GitHub's slugs). External links (`http:`, `https:`,
//! `mailto:`, any URL scheme) are not checked; links in fenced code blocks and code spans are
//! not links. It uses the standard library only.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A link found in a Markdown file: its 1-based line and its destination as written.
#[derive(Debug, PartialEq)]
struct Link {
    line: usize,
    target: String,
}

/// A link that does not resolve, with the reason.
#[derive(Debug)]
struct Broken {
    file: String,
    line: usize,
    target: String,
    reason: String,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// `README.md` and every `.md` file under `docs/`, as paths relative to `root`, sorted.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(root.join(dir)) else {
            return;
        };
        for entry in entries.flatten() {
            let relative = dir.join(entry.file_name());
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                walk(root, &relative, out);
            } else if relative.extension().is_some_and(|e| e == "md") {
                out.push(relative);
            }
        }
    }
    let mut files = Vec::new();
    if root.join("README.md").is_file() {
        files.push(PathBuf::from("README.md"));
    }
    walk(root, Path::new("docs"), &mut files);
    files.sort();
    files
}

/// The document's lines with fenced code blocks blanked, so that line numbers stay right.
fn without_fences(text: &str) -> Vec<String> {
    let mut open: Option<(char, usize)> = None;
    let mut lines = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let fence = ['`', '~'].into_iter().find_map(|c| {
            let n = trimmed.chars().take_while(|&x| x == c).count();
            (n >= 3).then_some((c, n))
        });
        match (open, fence) {
            (None, Some(f)) => {
                open = Some(f);
                lines.push(String::new());
            }
            (Some((c, n)), Some((fc, fnum)))
                if c == fc && fnum >= n && trimmed.trim_start_matches(c).trim().is_empty() =>
            {
                open = None;
                lines.push(String::new());
            }
            (Some(_), _) => lines.push(String::new()),
            (None, None) => lines.push(line.to_owned()),
        }
    }
    lines
}

/// Replaces the content of code spans with spaces. A span opens with a run of backticks and
/// closes at the next run of the same length within the same paragraph (lines separated by
/// `\n`); an unmatched run is literal text, as in CommonMark.
fn blank_code_spans(paragraph: &str) -> String {
    let chars: Vec<char> = paragraph.chars().collect();
    let mut out = chars.clone();
    let run_at = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            i += 1;
            continue;
        }
        let open = run_at(i);
        let mut j = i + open;
        let mut close = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let n = run_at(j);
                if n == open {
                    close = Some(j);
                    break;
                }
                j += n;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => {
                for c in &mut out[i..end + open] {
                    if *c != '\n' {
                        *c = ' ';
                    }
                }
                i = end + open;
            }
            None => i += open,
        }
    }
    out.into_iter().collect()
}

/// The lines that can hold links: fenced blocks and code spans blanked.
fn prose_lines(text: &str) -> Vec<String> {
    let lines = without_fences(text);
    let mut out = Vec::with_capacity(lines.len());
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, out: &mut Vec<String>| {
        if !paragraph.is_empty() {
            out.extend(
                blank_code_spans(&paragraph.join("\n"))
                    .split('\n')
                    .map(str::to_owned),
            );
            paragraph.clear();
        }
    };
    for line in &lines {
        if line.trim().is_empty() {
            flush(&mut paragraph, &mut out);
            out.push(String::new());
        } else {
            paragraph.push(line);
        }
    }
    flush(&mut paragraph, &mut out);
    out
}

/// Reads a link destination at the start of `s`: `<…>`, or up to whitespace or the `)` that
/// closes the link (balanced parentheses are part of the destination).
fn destination(s: &str) -> &str {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix('<') {
        return rest.split('>').next().unwrap_or("");
    }
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return &s[..i],
            ')' => depth -= 1,
            c if c.is_whitespace() => return &s[..i],
            _ => {}
        }
    }
    s
}

/// Every inline link, image and reference definition of a Markdown document.
fn links(text: &str) -> Vec<Link> {
    let mut found = Vec::new();
    for (index, line) in prose_lines(text).iter().enumerate() {
        let number = index + 1;
        // Reference definition: `[label]: target`, at most three spaces of indentation.
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent <= 3
            && let Some(rest) = line.trim_start().strip_prefix('[')
            && let Some((label, after)) = rest.split_once("]:")
            && !label.is_empty()
            && !label.contains('[')
            && !label.starts_with('^')
        {
            found.push(Link {
                line: number,
                target: destination(after).to_owned(),
            });
            continue;
        }
        // Inline links and images: `[text](target)`, `![alt](target)`.
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            found.push(Link {
                line: number,
                target: destination(after).to_owned(),
            });
            rest = after;
        }
    }
    found
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, every other character that is
/// not a letter, digit, `-` or `_` dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a document's ATX headings (outside code blocks); a repeated slug gets `-1`,
/// `-2`, … as on GitHub. Link syntax in a heading counts by its text only.
fn anchors(text: &str) -> HashSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = HashSet::new();
    for line in without_fences(text) {
        let trimmed = line.trim_start();
        let level = trimmed.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&level) || line.len() - trimmed.len() > 3 {
            continue;
        }
        let rest = &trimmed[level..];
        if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
            continue;
        }
        let rest = rest.trim().trim_end_matches('#').trim_end();
        let mut visible = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            // `[text](url)` shows as `text`.
            if c == ']' && chars.peek() == Some(&'(') {
                for d in chars.by_ref() {
                    if d == ')' {
                        break;
                    }
                }
            } else {
                visible.push(c);
            }
        }
        let base = slug(&visible);
        let count = seen.entry(base.clone()).or_insert(0);
        let anchor = if *count == 0 {
            base.clone()
        } else {
            format!("{base}-{count}")
        };
        *count += 1;
        out.insert(anchor);
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A URL with a scheme (`https:`, `mailto:`, …): not a file of this repository.
fn is_external(target: &str) -> bool {
    let Some((scheme, _)) = target.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Root `.gitignore` patterns in their simple forms (`/dir`, `*.ext`, `name`): a link into
/// an ignored path resolves here but not in a clone.
fn ignored(root: &Path, relative: &[String]) -> Option<String> {
    let patterns = fs::read_to_string(root.join(".gitignore")).unwrap_or_default();
    for pattern in patterns.lines().map(str::trim) {
        if pattern.is_empty() || pattern.starts_with('#') || pattern.starts_with('!') {
            continue;
        }
        let pattern_name = pattern.trim_matches('/');
        let hit = if pattern.starts_with('/') {
            relative.first().is_some_and(|c| c == pattern_name)
        } else if let Some(ext) = pattern.strip_prefix('*') {
            relative.iter().any(|c| c.ends_with(ext))
        } else {
            relative.iter().any(|c| c == pattern_name)
        };
        if hit {
            return Some(pattern.to_owned());
        }
    }
    None
}

/// Checks every link of `files` (relative to `root`).
fn check(root: &Path, files: &[PathBuf]) -> Vec<Broken> {
    let canonical_root = root.canonicalize().expect("the root exists");
    let mut anchor_cache: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    let mut anchors_of = |path: &Path| -> HashSet<String> {
        anchor_cache
            .entry(path.to_path_buf())
            .or_insert_with(|| anchors(&fs::read_to_string(root.join(path)).unwrap_or_default()))
            .clone()
    };
    let mut broken = Vec::new();
    for file in files {
        let text = fs::read_to_string(root.join(file))
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let shown = file.display().to_string();
        for link in links(&text) {
            let mut fail = |reason: String| {
                broken.push(Broken {
                    file: shown.clone(),
                    line: link.line,
                    target: link.target.clone(),
                    reason,
                });
            };
            if link.target.is_empty() {
                fail("empty link target".to_owned());
                continue;
            }
            if is_external(&link.target) {
                continue;
            }
            let (path_part, anchor) = match link.target.split_once('#') {
                Some((p, a)) => (p, Some(percent_decode(a))),
                None => (link.target.as_str(), None),
            };
            let path_part = percent_decode(path_part.split('?').next().unwrap_or(""));

            // Resolve lexically against the linking file's directory (or the root for `/…`).
            let target_relative: PathBuf = if path_part.is_empty() {
                file.clone()
            } else {
                let mut parts: Vec<String> = if path_part.starts_with('/') {
                    Vec::new()
                } else {
                    file.parent()
                        .map(|p| p.iter().map(|c| c.to_string_lossy().into_owned()).collect())
                        .unwrap_or_default()
                };
                let mut outside = false;
                for part in path_part.split('/') {
                    match part {
                        "" | "." => {}
                        ".." => outside |= parts.pop().is_none(),
                        other => parts.push(other.to_owned()),
                    }
                }
                if outside {
                    fail("points outside the repository".to_owned());
                    continue;
                }
                if let Some(pattern) = ignored(root, &parts) {
                    fail(format!("is git-ignored (`{pattern}`): not in a clone"));
                    continue;
                }
                parts.iter().collect()
            };
            let absolute = root.join(&target_relative);
            match absolute.canonicalize() {
                Err(_) => {
                    fail(format!("{} does not exist", target_relative.display()));
                    continue;
                }
                Ok(real) if !real.starts_with(&canonical_root) => {
                    fail("resolves outside the repository".to_owned());
                    continue;
                }
                Ok(_) => {}
            }
            let Some(anchor) = anchor else { continue };
            let is_markdown = target_relative.extension().is_some_and(|e| e == "md");
            if is_markdown && absolute.is_file() && !anchors_of(&target_relative).contains(&anchor)
            {
                fail(format!(
                    "no heading with anchor `#{anchor}` in {}",
                    target_relative.display()
                ));
            }
        }
    }
    broken
}

fn report(broken: &[Broken]) -> String {
    broken
        .iter()
        .map(|b| format!("  {}:{}: ({}) {}\n", b.file, b.line, b.target, b.reason))
        .collect()
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let root = repo_root();
    let files = markdown_files(&root);
    assert!(
        files.iter().any(|f| f == Path::new("README.md"))
            && files.iter().any(|f| f == Path::new("docs/CONTRACT.md")),
        "expected README.md and docs/CONTRACT.md among {files:?}"
    );
    let broken = check(&root, &files);
    assert!(
        broken.is_empty(),
        "{} broken link(s) in the repository's Markdown:\n{}",
        broken.len(),
        report(&broken)
    );
}

/// A scratch repository under the system temp directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "sluice-doc-links-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        for (path, content) in files {
            let path = dir.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, content).unwrap();
        }
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_checker_reports_each_kind_of_broken_link() {
    let readme = "\
# Title

See [the guide](docs/guide.md), [a section](docs/guide.md#second-part) and [here](#title).
Broken: [gone](docs/missing.md) and [bad anchor](docs/guide.md#no-such-part).
Outside: [up](../outside.md), [self](#nowhere), [built](target/debug/x).
External: [site](https://example.com/x.md), [mail](mailto:a@example.com).
Code: `[not a link](missing.md)` and ``[also not](x.md)`` stay unchecked.
![picture](docs/img.png) and ![no picture](docs/none.png)

```md
[inside a fence](missing.md)
```

[defined]: docs/guide.md#first-part
[undefined]: docs/nope.md
";
    let guide = "\
# Guide

## First part

## Second part

Back to [the start](../README.md#title), [wrong](../README.md#guide), [dup](#first-part-1).

## First part
";
    let scratch = Scratch::new(&[
        ("README.md", readme),
        ("docs/guide.md", guide),
        ("docs/img.png", "png"),
        (".gitignore", "/target\n*.db\n"),
        ("target/debug/x", "built"),
    ]);
    let files = markdown_files(&scratch.0);
    assert_eq!(
        files,
        [PathBuf::from("README.md"), PathBuf::from("docs/guide.md")]
    );
    let found: Vec<(String, usize, String)> = check(&scratch.0, &files)
        .into_iter()
        .map(|b| (b.file, b.line, b.target))
        .collect();
    let expected: Vec<(String, usize, String)> = [
        ("README.md", 4, "docs/missing.md"),
        ("README.md", 4, "docs/guide.md#no-such-part"),
        ("README.md", 5, "../outside.md"),
        ("README.md", 5, "#nowhere"),
        ("README.md", 5, "target/debug/x"),
        ("README.md", 8, "docs/none.png"),
        ("README.md", 15, "docs/nope.md"),
        ("docs/guide.md", 7, "../README.md#guide"),
    ]
    .into_iter()
    .map(|(f, l, t)| (f.to_owned(), l, t.to_owned()))
    .collect();
    assert_eq!(found, expected);
}

#[test]
fn anchors_follow_github_slugs() {
    assert_eq!(slug("Endpoints (S6)"), "endpoints-s6");
    assert_eq!(
        slug("The origin gate and CORS (payer routes P1–P8)"),
        "the-origin-gate-and-cors-payer-routes-p1p8"
    );
    assert_eq!(
        slug("Per-field codes (`payload.errors[].code`)"),
        "per-field-codes-payloaderrorscode"
    );
    assert_eq!(
        slug("Replay protection: which signature to verify"),
        "replay-protection-which-signature-to-verify"
    );
    assert_eq!(slug("snake_case and UPPER"), "snake_case-and-upper");
    let text = "# A\n## A\n```\n# not a heading\n```\n#nospace\n## [Linked](x.md) title ##\n";
    let found = anchors(text);
    let expected: HashSet<String> = ["a", "a-1", "linked-title"].map(String::from).into();
    assert_eq!(found, expected);
}

#[test]
fn links_skip_code_and_read_destinations() {
    let text = "a [x](b.md \"title\") c [y](<d e.md>) [z](f_(g).md)\n`[no](h.md)`\n";
    let found: Vec<String> = links(text).into_iter().map(|l| l.target).collect();
    assert_eq!(found, ["b.md", "d e.md", "f_(g).md"]);
    assert_eq!(percent_decode("a%20b%2Fc%zz"), "a b/c%zz");
    assert!(is_external("https://x") && is_external("mailto:a@b") && !is_external("a/b.md"));
}
