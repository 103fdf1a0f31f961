//! The import rule ARCHITECTURE.md states, checked over the source: the
//! host's folders follow the steps of a run, and a folder imports only the
//! folders before it (`ground` < `settings` < `sandbox` < `cluster` <
//! `report` < `commands`); inside a folder, and in the SDK, no two files
//! import each other, directly or round a longer loop, and a file names the
//! sibling file it uses, not its folder's re-export.
//!
//! The references read are the paths in the code: `crate::a::b`,
//! `super::b`, and groups `crate::{a, b::{c, d}}`. Comments are skipped,
//! and so is a file's own `mod tests` (its `use super::*` is the file
//! itself).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The host's folders in the order of a run: each may import those before it.
const HOST_FOLDERS: &[&str] = &[
    "ground", "settings", "sandbox", "cluster", "report", "commands",
];

/// One source file as a module: `["sandbox", "load"]`, or a folder's own
/// `mod.rs` as `["sandbox"]`.
struct File {
    module: Vec<String>,
    is_folder_root: bool,
    path: PathBuf,
    text: String,
}

fn files(root: &Path) -> Vec<File> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(root).unwrap();
            let mut module: Vec<String> = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let is_folder_root = matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            );
            if is_folder_root {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            found.push(File {
                module,
                is_folder_root,
                path: relative.to_path_buf(),
                text,
            });
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// The code of a file that counts: no comments, and not its own tests.
fn code(text: &str) -> String {
    let mut kept = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("mod tests {") {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        kept.push_str(line.split(" // ").next().unwrap_or(line));
        kept.push('\n');
    }
    kept
}

/// Every path after `crate::` or `super::`, with groups expanded:
/// `(true, ["a", "b"])` for `crate::a::b`, `(false, ["b"])` for `super::b`.
fn references(code: &str) -> Vec<(bool, Vec<String>)> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    for (start, from_crate) in [("crate::", true), ("super::", false)] {
        let mut at = 0;
        while let Some(i) = code[at..].find(start) {
            let begin = at + i;
            at = begin + start.len();
            if begin > 0 && (bytes[begin - 1].is_ascii_alphanumeric() || bytes[begin - 1] == b'_') {
                continue;
            }
            for path in expand(&code[at..]) {
                found.push((from_crate, path));
            }
        }
    }
    found
}

/// The paths at the start of `text`: `a::b::c`, or a group `{a, b::{c}}`.
fn expand(text: &str) -> Vec<Vec<String>> {
    let ident_end = |t: &str| {
        t.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(t.len())
    };
    let mut prefix = Vec::new();
    let mut rest = text;
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut end = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = i;
                    break;
                }
            }
            let inner = &group[..end];
            let mut items = Vec::new();
            let (mut depth, mut from) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        items.push(&inner[from..i]);
                        from = i + 1;
                    }
                    _ => {}
                }
            }
            items.push(&inner[from..]);
            return items
                .into_iter()
                .map(str::trim)
                .filter(|item| !item.is_empty() && *item != "self")
                .flat_map(|item| {
                    expand(item).into_iter().map(|tail| {
                        let mut path = prefix.clone();
                        path.extend(tail);
                        path
                    })
                })
                .collect();
        }
        let end = ident_end(rest);
        if end == 0 {
            break;
        }
        prefix.push(rest[..end].to_string());
        match rest[end..].strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    if prefix.is_empty() {
        Vec::new()
    } else {
        vec![prefix]
    }
}

/// The names a folder's root re-exports (`pub use x::{A, b};`).
fn re_exports(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for statement in code.split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        for path in expand(path.trim()) {
            if let Some(last) = path.last() {
                names.insert(last.clone());
            }
        }
    }
    names
}

/// The rule's breaches in the tree at `root`; `folders` orders the
/// top-level folders (empty: no order, only the loop rule).
fn breaches(root: &Path, folders: &[&str]) -> Vec<String> {
    let files = files(root);
    let by_module: BTreeMap<&[String], usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.module.as_slice(), i))
        .collect();
    let rank = |module: &[String]| {
        module
            .first()
            .and_then(|top| folders.iter().position(|f| f == top))
    };
    let mut problems = Vec::new();
    let mut edges: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (index, file) in files.iter().enumerate() {
        let code = code(&file.text);
        // The module a `super::` path starts from: a file's folder, or a
        // folder root's parent.
        let parent: &[String] = if file.is_folder_root {
            &file.module[..file.module.len().saturating_sub(1)]
        } else {
            &file.module[..file.module.len() - 1]
        };
        let own_folder: &[String] = if file.is_folder_root {
            &file.module
        } else {
            parent
        };
        for (from_crate, path) in references(&code) {
            let mut full: Vec<String> = if from_crate {
                Vec::new()
            } else {
                parent.to_vec()
            };
            full.extend(path.iter().cloned());
            // The longest prefix that is a file is the file used.
            let Some((used, len)) = (0..=full.len())
                .rev()
                .find_map(|n| by_module.get(&full[..n]).map(|&i| (i, n)))
            else {
                continue;
            };
            if used == index {
                continue;
            }
            let target = &files[used];
            if let (Some(from), Some(to)) = (rank(&file.module), rank(&target.module))
                && to > from
            {
                problems.push(format!(
                    "{} imports {} (`{}`): a folder may import only the folders before it ({})",
                    file.path.display(),
                    target.path.display(),
                    path.join("::"),
                    folders.join(" < ")
                ));
            }
            let same_folder = target.module.starts_with(own_folder)
                && target.module.len() == own_folder.len() + usize::from(!target.is_folder_root);
            if !file.is_folder_root && target.is_folder_root && target.module == own_folder {
                let name = full.get(len).cloned().unwrap_or_default();
                if re_exports(&code_of(target)).contains(&name) {
                    problems.push(format!(
                        "{} uses `{}` through its folder's re-export: name the sibling file that defines it",
                        file.path.display(),
                        path.join("::")
                    ));
                    continue;
                }
            }
            if same_folder && !file.is_folder_root {
                edges.entry(index).or_default().insert(used);
            }
        }
    }
    // A loop among the files of one folder, found by depth-first search.
    let mut state: BTreeMap<usize, bool> = BTreeMap::new(); // false: on the path; true: done
    fn visit(
        node: usize,
        edges: &BTreeMap<usize, BTreeSet<usize>>,
        state: &mut BTreeMap<usize, bool>,
        path: &mut Vec<usize>,
        loops: &mut Vec<Vec<usize>>,
    ) {
        state.insert(node, false);
        path.push(node);
        for &next in edges.get(&node).into_iter().flatten() {
            match state.get(&next) {
                Some(false) => {
                    let from = path.iter().position(|&n| n == next).unwrap();
                    loops.push(path[from..].to_vec());
                }
                Some(true) => {}
                None => visit(next, edges, state, path, loops),
            }
        }
        path.pop();
        state.insert(node, true);
    }
    let mut loops = Vec::new();
    for &node in edges.keys() {
        if !state.contains_key(&node) {
            visit(node, &edges, &mut state, &mut Vec::new(), &mut loops);
        }
    }
    for found in loops {
        let names: Vec<String> = found
            .iter()
            .chain(found.first())
            .map(|&i| files[i].path.display().to_string())
            .collect();
        problems.push(format!(
            "files import each other: {}; move what both need into one of them or a third file",
            names.join(" -> ")
        ));
    }
    problems
}

fn code_of(file: &File) -> String {
    code(&file.text)
}

#[test]
fn the_host_folders_import_only_earlier_steps_and_no_files_import_each_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = breaches(&root, HOST_FOLDERS);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every folder of the source is in the order: a new one must be placed.
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                HOST_FOLDERS.contains(&name.as_str()),
                "host/src/{name}/ is in no place of the order {HOST_FOLDERS:?} (layout.rs)"
            );
        }
    }
}

#[test]
fn no_two_files_of_the_sdk_import_each_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest/sdk/src");
    let problems = breaches(&root, &[]);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The checker itself finds each kind of breach in a small tree.
#[test]
fn the_checker_finds_a_later_folder_a_loop_and_a_re_export() {
    let root = std::env::temp_dir().join(format!("layout-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("lib.rs", "pub mod ground;\npub mod settings;\n");
    write("ground/mod.rs", "mod a;\nmod b;\npub use a::Thing;\n");
    write(
        "ground/a.rs",
        "use super::b::Other;\n// use crate::settings::X;\n",
    );
    write(
        "ground/b.rs",
        "use crate::{ground::a::Thing, settings::Config};\n",
    );
    write("ground/c.rs", "use super::Thing;\n");
    write("settings/mod.rs", "pub struct Config;\n");
    let problems = breaches(&root, &["ground", "settings"]);
    std::fs::remove_dir_all(&root).unwrap();
    assert_eq!(
        problems,
        [
            "ground/b.rs imports settings/mod.rs (`settings::Config`): a folder may import only the folders before it (ground < settings)",
            "ground/c.rs uses `Thing` through its folder's re-export: name the sibling file that defines it",
            "files import each other: ground/a.rs -> ground/b.rs -> ground/a.rs; move what both need into one of them or a third file",
        ]
    );
}
