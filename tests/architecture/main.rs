//! The layering rules of `api/src` (ARCHITECTURE.md, "Rooms and layers"), checked on the source
//! itself.
//!
//! Every module file of `api/src` is placed in a layer below. A module may use modules of its own
//! layer or of layers below, never above, and the module graph has no cycle except among the
//! files of `graphql/` (object types reference each other: a group lists its posts and a post
//! names its group). A new file fails this test until it is given a layer. Drawn by room (a
//! folder, or a file at the top of `api/src`), the graph has no loop at all.
//!
//! Edges are `crate::`, `super::` and `self::` paths, in `use` items and inline, outside comments,
//! strings and `#[cfg(test)]` modules. A `pub use` in a folder's `mod.rs` only names things: a
//! path through it counts as a use of the module that defines the name.
//!
//! `cargo test --test architecture -- --nocapture` prints the room graph, and any cycle, loop or
//! breach.
#![allow(clippy::expect_used)] // a tree that cannot be read should fail the test
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

/// Layers bottom up. A file is placed by the longest entry that is a prefix of its module path
/// (`groups/service` for `api/src/groups/service.rs`, `groups` for `api/src/groups/mod.rs`).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation",
        &[
            "error",
            "config",
            "clock",
            "ids",
            "secrets",
            "pagination",
            "content",
            "content_coding",
            "safety",
            "search",
            "telemetry",
            "db",
            "redis_conn",
            "memo",
            "text",
            "schema_changes",
            "type_policies",
        ],
    ),
    (
        "infrastructure",
        &[
            "broker",
            "rate_limit",
            "read_versions",
            "persisted",
            "keys",
            "auth",
            "push/fcm",
            "mail",
        ],
    ),
    ("community", &["community"]),
    (
        "services",
        &[
            "accounts",
            "groups",
            "posts",
            "moderation",
            "notifications",
            "moods",
            "questions",
            "push",
            "meetings",
        ],
    ),
    ("reads kept and the context", &["page_cache", "state"]),
    ("graphql", &["graphql"]),
    ("live delivery", &["realtime"]),
    ("edge", &["http", "app", "cli", "demo"]),
];

/// Modules whose cycles among themselves are allowed: the GraphQL object types.
fn is_graphql_type(module: &str) -> bool {
    module.starts_with("graphql/")
}

#[test]
fn modules_form_layers_without_cycles() {
    let graph = ModuleGraph::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("api/src"));
    let mut problems = Vec::new();

    for module in graph.modules.keys() {
        if layer_of(module).is_none() {
            problems.push(format!("{module} has no layer: add it to LAYERS"));
        }
    }
    for (from, targets) in &graph.edges {
        for to in targets {
            if let (Some(a), Some(b)) = (layer_of(from), layer_of(to)) {
                if b > a {
                    problems.push(format!(
                        "{from} ({}) uses {to} ({}), a layer above it",
                        LAYERS[a].0, LAYERS[b].0
                    ));
                }
            }
        }
    }
    for cycle in graph.cycles() {
        if cycle.iter().all(|m| is_graphql_type(m)) {
            println!("allowed cycle among GraphQL types: {}", cycle.join(", "));
        } else {
            let inside: Vec<String> = cycle
                .iter()
                .flat_map(|from| {
                    graph.edges[from]
                        .iter()
                        .filter(|to| cycle.contains(to))
                        .map(move |to| format!("{from} -> {to}"))
                })
                .collect();
            problems.push(format!(
                "cycle of {} modules: {}\n  its edges: {}",
                cycle.len(),
                cycle.join(", "),
                inside.join("; ")
            ));
        }
    }
    for problem in &problems {
        println!("{problem}");
    }
    println!(
        "{} modules, {} edges, {} cycles in all",
        graph.modules.len(),
        graph.edges.values().map(BTreeSet::len).sum::<usize>(),
        graph.cycles().len()
    );
    assert!(
        problems.is_empty(),
        "{} layering problems (listed above)",
        problems.len()
    );
}

/// The same graph drawn by room: a folder of `api/src` is one room, a file at its top is one too.
/// Rooms form no loop at all, not even among GraphQL types: a folder is a unit a newcomer can
/// read with only what lies below it.
#[test]
fn folders_form_a_graph_without_loops() {
    let graph = ModuleGraph::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("api/src"));
    let rooms = graph.by_room();
    println!("the rooms of api/src and what each uses:");
    for (room, targets) in &rooms.edges {
        let names: Vec<&str> = targets.iter().map(String::as_str).collect();
        println!("  {room} -> {}", names.join(" "));
    }
    let loops = rooms.cycles();
    for cycle in &loops {
        let inside: Vec<String> = cycle
            .iter()
            .flat_map(|from| {
                let witnesses = graph.witnesses(from);
                rooms.edges[from]
                    .iter()
                    .filter(|to| cycle.contains(to))
                    .map(move |to| format!("{from} -> {to} ({})", witnesses(to)))
            })
            .collect();
        println!(
            "loop of {} rooms: {}\n  its edges: {}",
            cycle.len(),
            cycle.join(", "),
            inside.join("\n    ")
        );
    }
    println!(
        "{} rooms, {} edges, {} loops",
        rooms.modules.len(),
        rooms.edges.values().map(BTreeSet::len).sum::<usize>(),
        loops.len()
    );
    assert!(
        loops.is_empty(),
        "{} loops among rooms (listed above)",
        loops.len()
    );
}

/// The checker itself: a breach and a cycle in a small tree are found.
#[test]
fn the_checker_finds_a_cycle_and_resolves_reexports() {
    let dir = std::env::temp_dir().join(format!("hearth-arch-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("posts")).expect("temp dir");
    let write = |name: &str, text: &str| fs::write(dir.join(name), text).expect("write");
    write("lib.rs", "pub mod error; pub mod posts; pub mod config;");
    write(
        "error.rs",
        "// crate::posts in a comment is no edge\nconst S: &str = \"crate::config\";",
    );
    write("config.rs", "use crate::posts::PostingLimits;\n#[cfg(test)]\nmod tests { use super::*; use crate::error::X; }");
    write(
        "posts/mod.rs",
        "pub mod service;\npub use service::{PostingLimits, create};",
    );
    write(
        "posts/service.rs",
        "use crate::{config::{self, Settings}, error::AppError};\nfn f() { super::super::error::x(); }",
    );
    let graph = ModuleGraph::read(&dir);
    let _ = fs::remove_dir_all(&dir);

    let edges = |m: &str| graph.edges.get(m).cloned().unwrap_or_default();
    assert_eq!(edges("error"), BTreeSet::new());
    assert_eq!(
        edges("config"),
        BTreeSet::from(["posts/service".to_owned()])
    );
    assert_eq!(
        edges("posts/service"),
        BTreeSet::from(["config".to_owned(), "error".to_owned()])
    );
    assert_eq!(edges("posts"), BTreeSet::new(), "a re-export is not a use");
    assert_eq!(
        graph.cycles(),
        vec![vec!["config".to_owned(), "posts/service".to_owned()]]
    );
    let rooms = graph.by_room();
    assert_eq!(
        rooms.edges["posts"],
        BTreeSet::from(["config".to_owned(), "error".to_owned()])
    );
    assert_eq!(
        rooms.cycles(),
        vec![vec!["config".to_owned(), "posts".to_owned()]],
        "the same loop, drawn by room"
    );
}

fn layer_of(module: &str) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (index, (_, prefixes)) in LAYERS.iter().enumerate() {
        for prefix in *prefixes {
            let matches = module == *prefix || module.starts_with(&format!("{prefix}/"));
            if matches && best.is_none_or(|(len, _)| prefix.len() > len) {
                best = Some((prefix.len(), index));
            }
        }
    }
    best.map(|(_, index)| index)
}

struct ModuleGraph {
    /// Module path (`groups/service`) → its file.
    modules: BTreeMap<String, PathBuf>,
    edges: BTreeMap<String, BTreeSet<String>>,
}

impl ModuleGraph {
    fn read(root: &Path) -> Self {
        let mut modules = BTreeMap::new();
        collect_modules(root, root, &mut modules);
        let sources: BTreeMap<String, Vec<Token>> = modules
            .iter()
            .map(|(module, file)| {
                let text = fs::read_to_string(file).expect("read a module");
                (module.clone(), tokens(&text))
            })
            .collect();
        // Names a folder's mod.rs re-exports, and where each one is defined.
        let mut reexports: HashMap<String, HashMap<String, String>> = HashMap::new();
        for (module, toks) in &sources {
            for item in use_items(toks) {
                if item.public {
                    for (path, name) in item.paths {
                        if let Some(target) = resolve(root, module, &path, &HashMap::new()) {
                            reexports
                                .entry(module.clone())
                                .or_default()
                                .insert(name, target);
                        }
                    }
                }
            }
        }
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, toks) in &sources {
            if module.is_empty() {
                continue; // lib.rs only declares the modules
            }
            let mut paths: Vec<Vec<String>> = Vec::new();
            for item in use_items(toks) {
                if !item.public {
                    paths.extend(item.paths.into_iter().map(|(p, _)| p));
                }
            }
            paths.extend(inline_paths(toks));
            let targets = edges.entry(module.clone()).or_default();
            for path in paths {
                if let Some(target) = resolve(root, module, &path, &reexports) {
                    if target != *module && !target.is_empty() {
                        targets.insert(target);
                    }
                }
            }
        }
        modules.remove("");
        ModuleGraph { modules, edges }
    }

    /// The graph by room: a module's room is the first part of its path.
    fn by_room(&self) -> ModuleGraph {
        let room = |m: &str| m.split('/').next().unwrap_or(m).to_owned();
        let mut modules = BTreeMap::new();
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, file) in &self.modules {
            modules.insert(room(module), file.clone());
            edges.entry(room(module)).or_default();
        }
        for (from, targets) in &self.edges {
            for to in targets {
                if room(from) != room(to) {
                    edges.entry(room(from)).or_default().insert(room(to));
                }
            }
        }
        ModuleGraph { modules, edges }
    }

    /// For a room, a function naming the module edges that make its edge to another room.
    fn witnesses<'a>(&'a self, from_room: &'a str) -> impl Fn(&str) -> String + 'a {
        move |to_room: &str| {
            let in_room = |m: &str, r: &str| m == r || m.starts_with(&format!("{r}/"));
            let mut found = Vec::new();
            for (from, targets) in &self.edges {
                if !in_room(from, from_room) {
                    continue;
                }
                for to in targets {
                    if in_room(to, to_room) {
                        found.push(format!("{from}→{to}"));
                    }
                }
            }
            found.join(", ")
        }
    }

    /// Strongly connected components with more than one module (Tarjan), each sorted.
    fn cycles(&self) -> Vec<Vec<String>> {
        struct Walk<'a> {
            graph: &'a ModuleGraph,
            index: HashMap<&'a str, usize>,
            low: HashMap<&'a str, usize>,
            stack: Vec<&'a str>,
            on_stack: BTreeSet<&'a str>,
            next: usize,
            found: Vec<Vec<String>>,
        }
        impl<'a> Walk<'a> {
            fn visit(&mut self, v: &'a str) {
                self.index.insert(v, self.next);
                self.low.insert(v, self.next);
                self.next += 1;
                self.stack.push(v);
                self.on_stack.insert(v);
                if let Some(targets) = self.graph.edges.get(v) {
                    for w in targets {
                        let w = w.as_str();
                        if !self.index.contains_key(w) {
                            self.visit(w);
                            let low = self.low[v].min(self.low[w]);
                            self.low.insert(v, low);
                        } else if self.on_stack.contains(w) {
                            let low = self.low[v].min(self.index[w]);
                            self.low.insert(v, low);
                        }
                    }
                }
                if self.low[v] == self.index[v] {
                    let mut component = Vec::new();
                    while let Some(w) = self.stack.pop() {
                        self.on_stack.remove(w);
                        component.push(w.to_owned());
                        if w == v {
                            break;
                        }
                    }
                    if component.len() > 1 {
                        component.sort();
                        self.found.push(component);
                    }
                }
            }
        }
        let mut walk = Walk {
            graph: self,
            index: HashMap::new(),
            low: HashMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            next: 0,
            found: Vec::new(),
        };
        for module in self.modules.keys() {
            if !walk.index.contains_key(module.as_str()) {
                walk.visit(module);
            }
        }
        walk.found.sort();
        walk.found
    }
}

fn collect_modules(root: &Path, dir: &Path, out: &mut BTreeMap<String, PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("read api/src")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_modules(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).expect("under root");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let file = parts.pop().expect("a file name");
            match file.as_str() {
                "lib.rs" | "mod.rs" => {}
                _ => parts.push(file.trim_end_matches(".rs").to_owned()),
            }
            out.insert(parts.join("/"), path);
        }
    }
}

/// Walks `path` (as written in `module`) down the module tree; the deepest module reached.
fn resolve(
    root: &Path,
    module: &str,
    path: &[String],
    reexports: &HashMap<String, HashMap<String, String>>,
) -> Option<String> {
    let mut current: Vec<String> = if module.is_empty() {
        Vec::new()
    } else {
        module.split('/').map(str::to_owned).collect()
    };
    let mut segments = path.iter().peekable();
    match segments.peek().map(|s| s.as_str()) {
        Some("crate") => {
            current.clear();
            segments.next();
        }
        Some("self") => {
            segments.next();
        }
        Some("super") => {}
        // A path from a child module (`use service::create;` in a folder's mod.rs).
        Some(first) if is_module(root, &current, first) => {}
        _ => return None,
    }
    while let Some(segment) = segments.peek() {
        if segment.as_str() == "super" {
            current.pop()?;
            segments.next();
        } else {
            break;
        }
    }
    for segment in segments {
        if is_module(root, &current, segment) {
            current.push(segment.clone());
            continue;
        }
        let here = current.join("/");
        if let Some(target) = reexports.get(&here).and_then(|names| names.get(segment)) {
            return Some(target.clone());
        }
        break;
    }
    Some(current.join("/"))
}

fn is_module(root: &Path, parent: &[String], name: &str) -> bool {
    let mut path = parent.to_vec();
    path.push(name.to_owned());
    let base = root.join(path.join("/"));
    base.with_extension("rs").is_file() || base.join("mod.rs").is_file()
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Semi,
    Hash,
    Other(char),
}

/// Identifiers and punctuation, with comments, strings and char literals dropped.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('#') || next == Some('"'))
            && raw_string_end(&chars, i).is_some()
        {
            i = raw_string_end(&chars, i).unwrap_or(chars.len());
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}'), or a lifetime, which is skipped as one quote.
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else if c == ':' && next == Some(':') {
            out.push(Token::PathSep);
            i += 2;
        } else {
            out.push(match c {
                '{' => Token::Open,
                '}' => Token::Close,
                ',' => Token::Comma,
                ';' => Token::Semi,
                '#' => Token::Hash,
                c if c.is_whitespace() => {
                    i += 1;
                    continue;
                }
                c => Token::Other(c),
            });
            i += 1;
        }
    }
    drop_test_modules(out)
}

/// The index after a raw string starting at `start` (`r"…"`, `r#"…"#`), if it is one.
fn raw_string_end(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    let mut hashes = 0;
    while chars.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    if chars.get(i) != Some(&'"') {
        return None;
    }
    i += 1;
    while i < chars.len() {
        if chars[i] == '"' && (0..hashes).all(|k| chars.get(i + 1 + k) == Some(&'#')) {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
    Some(chars.len())
}

/// Removes `#[cfg(test)] mod name { … }`: test code may reach anywhere.
fn drop_test_modules(toks: Vec<Token>) -> Vec<Token> {
    let ident = |t: &Token, s: &str| matches!(t, Token::Ident(x) if x == s);
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let is_cfg_test = toks[i] == Token::Hash
            && toks.get(i + 1) == Some(&Token::Other('['))
            && toks.get(i + 2).is_some_and(|t| ident(t, "cfg"))
            && toks.get(i + 3) == Some(&Token::Other('('))
            && toks.get(i + 4).is_some_and(|t| ident(t, "test"))
            && toks.get(i + 5) == Some(&Token::Other(')'))
            && toks.get(i + 6) == Some(&Token::Other(']'))
            && toks.get(i + 7).is_some_and(|t| ident(t, "mod"))
            && toks.get(i + 9) == Some(&Token::Open);
        if is_cfg_test {
            i += 9;
            let mut depth = 0;
            while i < toks.len() {
                match toks[i] {
                    Token::Open => depth += 1,
                    Token::Close => {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        } else {
            out.push(toks[i].clone());
            i += 1;
        }
    }
    out
}

struct UseItem {
    public: bool,
    /// Each path with the name it binds (its last segment, or its `as` alias).
    paths: Vec<(Vec<String>, String)>,
}

/// The `use` items of a file, their trees expanded into paths.
fn use_items(toks: &[Token]) -> Vec<UseItem> {
    let mut items = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if toks[i] == Token::Ident("use".into()) {
            let public = i > 0 && toks[i - 1] == Token::Ident("pub".into())
                || (i > 3
                    && toks[i - 1] == Token::Other(')')
                    && toks[i - 4] == Token::Ident("pub".into()));
            let end = toks[i..]
                .iter()
                .position(|t| *t == Token::Semi)
                .map_or(toks.len(), |p| i + p);
            let mut paths = Vec::new();
            expand(&toks[i + 1..end], &[], &mut paths);
            items.push(UseItem { public, paths });
            i = end;
        }
        i += 1;
    }
    items
}

/// Expands one use tree (`a::{b, c::{self, d as e}}`) under `prefix`.
fn expand(toks: &[Token], prefix: &[String], out: &mut Vec<(Vec<String>, String)>) {
    let mut path = prefix.to_vec();
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Token::Ident(name) if name == "as" => {
                if let Some(Token::Ident(alias)) = toks.get(i + 1) {
                    out.push((path.clone(), alias.clone()));
                }
                return;
            }
            Token::Ident(name) if name == "self" && !path.is_empty() => {}
            Token::Ident(name) => path.push(name.clone()),
            Token::Open => {
                // Split the braces' contents at top-level commas.
                let mut depth = 0;
                let mut start = i + 1;
                let mut j = i + 1;
                while j < toks.len() {
                    match toks[j] {
                        Token::Open => depth += 1,
                        Token::Close if depth == 0 => break,
                        Token::Close => depth -= 1,
                        Token::Comma if depth == 0 => {
                            expand(&toks[start..j], &path, out);
                            start = j + 1;
                        }
                        _ => {}
                    }
                    j += 1;
                }
                expand(&toks[start..j], &path, out);
                return;
            }
            _ => {}
        }
        i += 1;
    }
    if path.len() > prefix.len() || toks.iter().any(|t| *t == Token::Ident("self".into())) {
        let name = path.last().cloned().unwrap_or_default();
        out.push((path, name));
    }
}

/// `crate::a::b`, `super::a` and `self::a` paths outside `use` items.
fn inline_paths(toks: &[Token]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_use = false;
    while i < toks.len() {
        match &toks[i] {
            Token::Ident(w) if w == "use" => in_use = true,
            Token::Semi => in_use = false,
            Token::Ident(w)
                if !in_use
                    && (w == "crate" || w == "super" || w == "self")
                    && toks.get(i + 1) == Some(&Token::PathSep)
                    && (i == 0 || toks[i - 1] != Token::PathSep) =>
            {
                let mut path = vec![w.clone()];
                let mut j = i + 1;
                while toks.get(j) == Some(&Token::PathSep) {
                    match toks.get(j + 1) {
                        Some(Token::Ident(seg)) => path.push(seg.clone()),
                        _ => break,
                    }
                    j += 2;
                }
                out.push(path);
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}
