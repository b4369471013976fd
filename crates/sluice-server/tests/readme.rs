//! The README runs verbatim. A new user copies the README's shell blocks into a terminal, one
//! after the other; when a walk-through left its server running, the next one's server failed
//! with "Address already in use" and every later step talked to the old server, printing
//! `null`. This test does what that user does, so such a README cannot be committed again.
//!
//! It takes every ```` ```sh ```` block of `README.md` in order (other fences, such as
//! ```` ```text ````, are not commands) and runs them with bash, `set -euo pipefail`, in a fresh
//! temporary directory, against the `sluice` binary under test and a real anvil on the ports
//! the README names (8080 and 8545).
//!
//! Grouping: one bash process per `## ` section, its `### ` subsections included, because a
//! reader runs a section in one shell: variables such as `$S`, `$ENV` or `$FLOW`, and the
//! server a section starts, carry from one block to the next ("Continuing in the same shell").
//! The sections run one after the other in the same directory, as a reader's do, with none of
//! the caller's `SLUICE_*` variables (a fresh clone has none). A failure prints the block, the
//! section's output, bash's last traced commands and the server's log, and keeps the directory.
//!
//! Named exceptions, each checked to be present so that a README change cannot drop it
//! silently:
//! - `scripts/test.sh` ("Two commands") is not run: it is the whole test suite, this test
//!   included, so it would recurse.
//! - `cargo run --release -- serve` ("Two commands") runs until Ctrl-C: the test starts the
//!   server, waits for `/healthz`, checks that it printed the default environment, stops it
//!   with SIGTERM and checks that it exited cleanly.
//!
//! The test does not rebuild: `./target/release/sluice` in the temporary directory is a symlink
//! to the binary cargo built for this test (`CARGO_BIN_EXE_sluice`), and a `cargo` shell
//! function turns `cargo build --release` into a no-op and `cargo run --release -- ARGS` into
//! `./target/release/sluice ARGS`. `tools` is a symlink to the repository's `tools/`, where
//! `scripts/test.sh` installs anvil (`npm ci --prefix tools/evm --ignore-scripts`).
//!
//! A section fails when a command fails (bash exits), when a `jq` prints `null` or nothing (a
//! shell function wraps jq: that is what a step talking to the wrong server prints), when a
//! promise is not kept, or when the section leaves a process running or a port taken (the
//! README must stop what it starts). A promise is a trailing comment that parses as JSON, such
//! as `# "broadcasted"` or `# "source_confirmed", "completed"`: each value must appear in the
//! section's output, in that order, as JSON (`"broadcasted"`). Prose comments promise nothing.
//!
//! Ports 8080 and 8545 are fixed, so the test cannot run next to itself: it takes a file lock
//! (another run of it waits) and then fails clearly if either port is taken. No other test binds
//! them (they all listen on port 0). Without anvil it prints `*** README test did NOT run … ***`
//! and passes, unless `SLUICE_REQUIRE_ANVIL=1`. `SLUICE_README=PATH` runs another file in place
//! of `README.md` (to see the test fail on a deliberately broken copy).

use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process_group, test_kill_process_group};
use serde_json::Value;

/// The ports the README's walk-throughs use: Sluice's default listen address and anvil's.
const PORTS: [u16; 2] = [8080, 8545];
/// Where the README runs anvil from, relative to the checkout.
const ANVIL: &str = "tools/evm/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";
/// The block that runs the whole test suite: not run (it would run this test again).
const TEST_SUITE: &str = "scripts/test.sh";
/// The block that starts a server in the foreground, until Ctrl-C.
const FOREGROUND_SERVE: &str = "cargo run --release -- serve";
/// The longest one section may take (a hung `until` loop ends here).
const SECTION_DEADLINE: Duration = Duration::from_secs(90);

/// What every section's shell has before the README's blocks.
const PRELUDE: &str = r#"set -euo pipefail
shopt -s inherit_errexit
# The test does not rebuild: the binary under test is ./target/release/sluice.
cargo() {
  case "$*" in
    "build --release") ;;
    "run --release -- "*) shift 3; ./target/release/sluice "$@" ;;
    *) echo "README test: no stand-in for 'cargo $*'" >&2; return 1 ;;
  esac
}
# A step that talks to no server, or to the wrong one, makes jq print null or nothing.
jq() {
  local out
  out=$(command jq "$@") || return
  if [ -z "$out" ]; then echo "README test: 'jq $*' printed nothing (empty input?)" >&2; return 1; fi
  if grep -qx null <<< "$out"; then echo "README test: 'jq $*' printed null" >&2; return 1; fi
  printf '%s\n' "$out"
}
exec 9> trace.log
BASH_XTRACEFD=9
PS4='+ ${BASH_SOURCE##*/}:${LINENO}: '
set -x
"#;

struct Block {
    /// README line of the block's first command line (1-based).
    line: usize,
    text: String,
}

struct Section {
    heading: String,
    blocks: Vec<Block>,
}

/// The `sh` blocks of `readme`, grouped by `## ` heading (`### ` ones stay in their section).
fn sections(readme: &str) -> Vec<Section> {
    let mut sections = vec![Section {
        heading: "(before the first heading)".into(),
        blocks: vec![],
    }];
    let mut fence: Option<(bool, Block)> = None;
    for (i, line) in readme.lines().enumerate() {
        let number = i + 1;
        if let Some((is_sh, block)) = &mut fence {
            if line.trim_start().starts_with("```") {
                let (is_sh, block) = fence.take().unwrap();
                if is_sh {
                    sections.last_mut().unwrap().blocks.push(block);
                }
            } else if *is_sh {
                block.text.push_str(line);
                block.text.push('\n');
            }
            continue;
        }
        if let Some(info) = line.trim_start().strip_prefix("```") {
            let block = Block {
                line: number + 1,
                text: String::new(),
            };
            fence = Some((info.trim() == "sh", block));
        } else if let Some(heading) = line.strip_prefix("## ") {
            sections.push(Section {
                heading: heading.trim().to_owned(),
                blocks: vec![],
            });
        }
    }
    assert!(fence.is_none(), "README.md ends inside a code fence");
    sections.retain(|s| !s.blocks.is_empty());
    sections
}

/// The values a block's trailing comments promise, with their README lines.
fn promises(block: &Block) -> Vec<(usize, String)> {
    let mut found = vec![];
    for (i, line) in block.text.lines().enumerate() {
        let Some(at) = line.rfind(" # ") else {
            continue;
        };
        if line[..at].trim().is_empty() {
            continue; // a comment line, not a trailing comment
        }
        let comment = line[at + 3..].trim();
        if let Ok(values) = serde_json::from_str::<Vec<Value>>(&format!("[{comment}]")) {
            for value in values {
                found.push((block.line + i, value.to_string()));
            }
        }
    }
    found
}

fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn assert_ports_free(when: &str) {
    for port in PORTS {
        assert!(
            port_free(port),
            "port {port} is taken {when}: the README's walk-throughs need 127.0.0.1:8080 and \
             127.0.0.1:8545 free (a `sluice serve` or anvil still running? `ss -ltnp` shows who)"
        );
    }
}

fn healthy() -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", 8080)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n";
    let mut answer = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.1 200")
}

/// Waits for `child` until `deadline`; `None` if it is still running then.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        if let Some(status) = child.try_wait().expect("wait for a child") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The processes still running in `child`'s process group, as `ps` shows them; then kills
/// them, so that a failed section leaves nothing behind.
fn reap_group(child: &Child) -> Option<String> {
    let pgid = Pid::from_child(child);
    test_kill_process_group(pgid).ok()?;
    let ps = Command::new("ps")
        .args(["-eo", "pgid=,pid=,args="])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let group = pgid.as_raw_nonzero().to_string();
    let ps = ps
        .lines()
        .filter(|l| l.split_whitespace().next() == Some(group.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    let _ = kill_process_group(pgid, Signal::KILL);
    Some(ps)
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A command for the temporary directory, with none of the caller's `SLUICE_*` settings: the
/// README is run as a reader with a fresh clone runs it.
fn command(dir: &Path, program: &str) -> Command {
    let mut command = Command::new(program);
    command.current_dir(dir).process_group(0);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("SLUICE_") || key == "BASH_ENV" {
            command.env_remove(key);
        }
    }
    command
}

/// The named exception: `cargo run --release -- serve` in the foreground. Starts it, waits
/// for `/healthz`, checks the first start printed the default environment, stops it.
fn run_foreground_serve(dir: &Path) {
    assert_ports_free("before `cargo run --release -- serve`");
    let out = fs::File::create(dir.join("serve.stdout")).unwrap();
    let err = fs::File::create(dir.join("serve.stderr")).unwrap();
    let mut child = command(dir, "./target/release/sluice")
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start ./target/release/sluice serve");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !healthy() {
        let exited = child.try_wait().unwrap();
        if exited.is_some() || Instant::now() >= deadline {
            reap_group(&child);
            panic!(
                "`cargo run --release -- serve` (README \"Two commands\") did not answer on \
                 http://127.0.0.1:8080/healthz ({}); its standard error:\n{}",
                exited.map_or("still starting after 30 s".into(), |s| s.to_string()),
                tail(&dir.join("serve.stderr"), 40)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    kill_process_group(Pid::from_child(&child), Signal::TERM).unwrap();
    let status = wait_until(&mut child, Instant::now() + Duration::from_secs(30));
    reap_group(&child);
    assert!(
        status.is_some_and(|s| s.success()),
        "`sluice serve` did not stop cleanly on SIGTERM ({status:?}); its standard error:\n{}",
        tail(&dir.join("serve.stderr"), 40)
    );
    let printed = fs::read_to_string(dir.join("serve.stdout")).unwrap();
    let first: Value = serde_json::from_str(printed.lines().next().unwrap_or_default())
        .unwrap_or_else(|e| panic!("the first start printed no JSON ({e}): {printed:?}"));
    assert!(
        first["environmentId"].is_string() && first["apiToken"].is_string(),
        "the README says the first start prints the default environment's ID and API token: \
         {printed}"
    );
}

/// The section's blocks as one bash script whose line numbers are the README's, so that
/// bash's error messages and the trace name README lines.
fn script(section: &Section) -> String {
    let mut script = String::from("source ./prelude.sh\n");
    let mut line = 2;
    for block in &section.blocks {
        while line < block.line - 1 {
            script.push('\n');
            line += 1;
        }
        // On the fence's line: which block the output below comes from.
        writeln!(script, "echo '--- README.md:{}' >&2", block.line).unwrap();
        script.push_str(&block.text);
        line = block.line + block.text.lines().count();
    }
    script
}

/// Runs one section in one bash; panics with the block, its output and the trace on failure.
fn run_section(dir: &Path, section: &Section) -> usize {
    assert_ports_free(&format!("before the section \"{}\"", section.heading));
    fs::write(dir.join("README.md.sh"), script(section)).unwrap();
    let output_path = dir.join("output.log");
    let output = fs::File::create(&output_path).unwrap();
    let mut child = command(dir, "bash")
        .arg("README.md.sh")
        .stdin(Stdio::null())
        .stdout(output.try_clone().unwrap())
        .stderr(output)
        .spawn()
        .expect("start bash");
    let status = wait_until(&mut child, Instant::now() + SECTION_DEADLINE);
    let left_running = reap_group(&child);
    let output = fs::read_to_string(&output_path).unwrap_or_default();

    // `line`: a README line the failure is about; else the block that was running (the last
    // marker in the output).
    let fail = |why: String, line: Option<usize>| -> ! {
        let running = || {
            output
                .rsplit_once("--- README.md:")
                .and_then(|(_, rest)| rest.lines().next()?.parse().ok())
                .unwrap_or(0)
        };
        let line = line.unwrap_or_else(running);
        let block = section
            .blocks
            .iter()
            .rfind(|b| b.line <= line)
            .filter(|b| line < b.line + b.text.lines().count().max(1))
            .map_or(("(none started)", 0), |b| (b.text.as_str(), b.line));
        let (block, at) = block;
        panic!(
            "README section \"{}\": {why}\n\n--- the block (README.md line {at}) ---\n{block}\n\
             --- the section's output ---\n{output}\n--- the last commands bash ran ---\n{}\n\
             --- target/sluice.log (the server's log), last lines ---\n{}\n\n(files in {})",
            section.heading,
            tail(&dir.join("trace.log"), 15),
            tail(&dir.join("target/sluice.log"), 20),
            dir.display()
        )
    };

    match status {
        None => fail(
            format!("still running after {} s", SECTION_DEADLINE.as_secs()),
            None,
        ),
        Some(status) if !status.success() => fail(format!("a command failed ({status})"), None),
        Some(_) => {}
    }
    if let Some(ps) = left_running {
        fail(
            format!("the section left processes running (it must stop what it starts):\n{ps}"),
            None,
        );
    }
    for port in PORTS {
        if !port_free(port) {
            fail(
                format!("port {port} is still taken after the section"),
                None,
            );
        }
    }
    if output.lines().any(|l| l.trim() == "null") {
        fail("a line of its output is `null`".into(), None);
    }
    // Promises, in order, each after the one before.
    let mut from = 0;
    let mut kept = 0;
    for block in &section.blocks {
        for (line, value) in promises(block) {
            match output[from..].find(&value) {
                Some(at) => {
                    from += at + value.len();
                    kept += 1;
                }
                None => fail(
                    format!(
                        "README.md line {line} promises the output {value}, which is not in the \
                         output after the promises before it"
                    ),
                    Some(line),
                ),
            }
        }
    }
    kept
}

/// Serialises runs of this test (ports 8080 and 8545 are fixed); released when dropped.
fn lock() -> fs::File {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("readme-test.lock");
    let file = fs::File::create(&path).expect("create the README test's lock file");
    file.lock().expect("lock the README test's lock file");
    file
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn the_readme_runs_verbatim() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().unwrap();
    if !root.join(ANVIL).exists() {
        let message = format!(
            "no anvil at {}: run scripts/test.sh (or npm ci --prefix tools/evm --ignore-scripts)",
            root.join(ANVIL).display()
        );
        if std::env::var("SLUICE_REQUIRE_ANVIL").is_ok_and(|v| v == "1" || v == "true") {
            panic!("anvil is required (SLUICE_REQUIRE_ANVIL) but there is {message}");
        }
        eprintln!("\n*** README test did NOT run: {message}. ***\n");
        return;
    }
    for program in ["bash", "curl", "jq"] {
        assert!(
            have(program),
            "the README's walk-throughs need {program}, which is not on PATH"
        );
    }
    // `SLUICE_README` runs another file instead: a broken copy shows the test failing without
    // touching the README others read.
    let readme_path =
        std::env::var_os("SLUICE_README").map_or(root.join("README.md"), PathBuf::from);
    let readme = fs::read_to_string(&readme_path)
        .unwrap_or_else(|e| panic!("read {}: {e}", readme_path.display()));
    let sections = sections(&readme);

    let _lock = lock();
    assert_ports_free("before the README test starts");
    let dir: PathBuf = std::env::temp_dir().join(format!("sluice-readme-{}", uuid::Uuid::new_v4()));
    fs::create_dir_all(dir.join("target/release")).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_sluice"),
        dir.join("target/release/sluice"),
    )
    .unwrap();
    std::os::unix::fs::symlink(root.join("tools"), dir.join("tools")).unwrap();
    fs::write(dir.join("prelude.sh"), PRELUDE).unwrap();

    let (mut ran_test_suite, mut ran_serve, mut walk_throughs, mut kept) = (0, 0, 0, 0);
    for section in &sections {
        let started = Instant::now();
        let exceptions = section
            .blocks
            .iter()
            .filter(|b| [TEST_SUITE, FOREGROUND_SERVE].contains(&b.text.trim()))
            .count();
        if exceptions > 0 {
            assert_eq!(
                exceptions,
                section.blocks.len(),
                "README section \"{}\" mixes the named exceptions (`{TEST_SUITE}`, \
                 `{FOREGROUND_SERVE}`) with blocks to run; tests/readme.rs runs a section in one \
                 shell and cannot split it",
                section.heading
            );
            for block in &section.blocks {
                if block.text.trim() == TEST_SUITE {
                    ran_test_suite += 1; // not run: it is the suite this test is part of
                } else {
                    run_foreground_serve(&dir);
                    ran_serve += 1;
                }
            }
        } else {
            kept += run_section(&dir, section);
            walk_throughs += 1;
        }
        eprintln!(
            "README section \"{}\": {} block(s), {:.1} s",
            section.heading,
            section.blocks.len(),
            started.elapsed().as_secs_f64()
        );
    }
    // The exceptions are exceptions to something that is there.
    assert_eq!(
        (ran_test_suite, ran_serve),
        (1, 1),
        "expected one `{TEST_SUITE}` block (skipped) and one `{FOREGROUND_SERVE}` block (run \
         in the background) in README.md; update the exceptions in tests/readme.rs"
    );
    assert!(
        walk_throughs >= 2 && kept > 0,
        "expected the two walk-throughs and their promised outputs; found {walk_throughs} \
         section(s) and {kept} promise(s)"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn blocks_promises_and_line_numbers() {
    let readme = "\
# Title
```sh
echo one   # \"one\"
```
## First
```text
not a command
```
```sh
A=1
echo \"$A\" # prose, not JSON
jq .x   # \"a\", {\"b\":1}
```
### Sub
```sh
echo two
```
## Second
```sh
kill $SERVER
```
";
    let sections = sections(readme);
    let shape: Vec<(&str, Vec<usize>)> = sections
        .iter()
        .map(|s| {
            (
                s.heading.as_str(),
                s.blocks.iter().map(|b| b.line).collect(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("(before the first heading)", vec![3]),
            ("First", vec![10, 16]),
            ("Second", vec![20]),
        ]
    );
    assert_eq!(
        sections[1].blocks[0].text,
        "A=1\necho \"$A\" # prose, not JSON\njq .x   # \"a\", {\"b\":1}\n"
    );
    assert_eq!(
        promises(&sections[1].blocks[0]),
        [(12, "\"a\"".to_owned()), (12, "{\"b\":1}".to_owned())]
    );
    assert_eq!(
        promises(&sections[0].blocks[0]),
        [(3, "\"one\"".to_owned())]
    );
    // The script keeps README line numbers: line N of the script is line N of the README.
    let script = script(&sections[1]);
    let lines: Vec<&str> = script.lines().collect();
    assert_eq!(lines[9], "A=1");
    assert_eq!(lines[15], "echo two");
    assert_eq!(lines[8], "echo '--- README.md:10' >&2");
}
