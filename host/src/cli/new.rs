//! `glue-rules new`: a ready plugin project in one of the supported guest languages, with its
//! build command, a README, a sample configuration and fixtures with their expected decisions
//! (the plugin author's counterpart of `spin new`).
//!
//! The templates are compiled into the binary from `host/templates/<language>/`; the helper
//! libraries for JavaScript, TypeScript, Python and C are the ones the example plugins in
//! `plugins/` use, and `wit/rule.wit` is written into every project, so a generated project
//! needs nothing from this repository, except a Rust project, which depends on the
//! `glue-rules-sdk` crate by path (`--sdk-path`).

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::exit;

/// The guest languages `glue-rules new` can start a plugin in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Language {
    /// Rust with the glue-rules-sdk crate (cargo, wasm32-wasip2).
    Rust,
    /// TypeScript (tsc, esbuild and componentize-js from npm).
    Typescript,
    /// JavaScript (componentize-js from npm).
    Javascript,
    /// Python (componentize-py from PyPI).
    Python,
    /// C (wit-bindgen's C bindings, zig and wasm-tools from PyPI).
    C,
}

#[derive(Debug, Args)]
pub(crate) struct NewArgs {
    /// The plugin's name, as it will say in describe(): lower-case letters, digits and dashes,
    /// starting with a letter (e.g. `notify-on-failure`).
    #[arg(value_name = "NAME")]
    name: String,
    /// The language to write it in.
    #[arg(long, value_enum)]
    lang: Language,
    /// Where to create the project [default: ./NAME]. It must not exist or be empty.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Rust only: the glue-rules-sdk crate to depend on [default: the guest-sdk/ of the
    /// checkout this glue-rules was built from].
    #[arg(long, value_name = "DIR")]
    sdk_path: Option<PathBuf>,
}

/// One file of a template.
struct Template {
    /// Its path in the project.
    path: &'static str,
    /// Its text.
    text: &'static str,
    /// Whether `{{placeholders}}` in it are replaced (not in the shared helper libraries).
    substitute: bool,
    /// Whether it is a script to mark executable.
    executable: bool,
}

const fn file(path: &'static str, text: &'static str) -> Template {
    Template {
        path,
        text,
        substitute: true,
        executable: false,
    }
}

const fn verbatim(path: &'static str, text: &'static str) -> Template {
    Template {
        path,
        text,
        substitute: false,
        executable: false,
    }
}

const fn script(path: &'static str, text: &'static str) -> Template {
    Template {
        path,
        text,
        substitute: true,
        executable: true,
    }
}

/// Files every project gets.
const COMMON: &[Template] = &[
    file(
        "README.md",
        include_str!("../../templates/common/README.md"),
    ),
    file(
        "glue-rules.toml",
        include_str!("../../templates/common/glue-rules.toml"),
    ),
    file(
        ".gitignore",
        include_str!("../../templates/common/gitignore"),
    ),
    file(
        "fixtures/README.md",
        include_str!("../../templates/common/fixtures/README.md"),
    ),
    verbatim(
        "fixtures/job-failed.json",
        include_str!("../../templates/common/fixtures/job-failed.json"),
    ),
    file(
        "fixtures/job-failed.expected.json",
        include_str!("../../templates/common/fixtures/job-failed.expected.json"),
    ),
    verbatim(
        "fixtures/job-succeeded.json",
        include_str!("../../templates/common/fixtures/job-succeeded.json"),
    ),
    file(
        "fixtures/job-succeeded.expected.json",
        include_str!("../../templates/common/fixtures/job-succeeded.expected.json"),
    ),
];

const RUST: &[Template] = &[
    file(
        "Cargo.toml",
        include_str!("../../templates/rust/Cargo.toml"),
    ),
    file(
        "src/lib.rs",
        include_str!("../../templates/rust/src/lib.rs"),
    ),
];

const JAVASCRIPT: &[Template] = &[
    file(
        "package.json",
        include_str!("../../templates/javascript/package.json"),
    ),
    file(
        "src/index.js",
        include_str!("../../templates/javascript/src/index.js"),
    ),
    verbatim(
        "src/glue-rules.js",
        include_str!("../../../plugins/js/glue-rules.js"),
    ),
];

const TYPESCRIPT: &[Template] = &[
    file(
        "package.json",
        include_str!("../../templates/typescript/package.json"),
    ),
    file(
        "tsconfig.json",
        include_str!("../../templates/typescript/tsconfig.json"),
    ),
    file(
        "src/index.ts",
        include_str!("../../templates/typescript/src/index.ts"),
    ),
    verbatim(
        "src/glue-rules.ts",
        include_str!("../../../plugins/typescript/glue-rules.ts"),
    ),
    verbatim(
        "src/glue-rules-wit.d.ts",
        include_str!("../../../plugins/typescript/glue-rules-wit.d.ts"),
    ),
    verbatim(
        "scripts/wit-types.mjs",
        include_str!("../../../plugins/typescript/scripts/wit-types.mjs"),
    ),
];

const PYTHON: &[Template] = &[
    file(
        "requirements.txt",
        include_str!("../../templates/python/requirements.txt"),
    ),
    script("build.sh", include_str!("../../templates/python/build.sh")),
    file(
        "src/app.py",
        include_str!("../../templates/python/src/app.py"),
    ),
    verbatim(
        "src/glue_rules.py",
        include_str!("../../../plugins/python/glue_rules.py"),
    ),
];

const C: &[Template] = &[
    file(
        "requirements.txt",
        include_str!("../../templates/c/requirements.txt"),
    ),
    script("build.sh", include_str!("../../templates/c/build.sh")),
    file("src/rule.c", include_str!("../../templates/c/src/rule.c")),
    verbatim(
        "src/glue_rules.h",
        include_str!("../../../plugins/c/glue_rules.h"),
    ),
    verbatim(
        "src/glue_rules.c",
        include_str!("../../../plugins/c/glue_rules.c"),
    ),
    verbatim(
        "bindings/rule.h",
        include_str!("../../../plugins/c/bindings/rule.h"),
    ),
    verbatim(
        "bindings/rule.c",
        include_str!("../../../plugins/c/bindings/rule.c"),
    ),
    verbatim(
        "bindings/wit.sha256",
        include_str!("../../../plugins/c/bindings/wit.sha256"),
    ),
];

/// The npm lockfiles of the example plugins, which pin the same packages the templates use.
const JAVASCRIPT_LOCK: &str = include_str!("../../../plugins/js/package-lock.json");
const TYPESCRIPT_LOCK: &str = include_str!("../../../plugins/typescript/package-lock.json");

/// What the README and the closing message say about one language.
struct Guide {
    title: &'static str,
    flag: &'static str,
    toolchain: &'static str,
    build: &'static str,
    wasm: &'static str,
    wasm_dir: &'static str,
    layout: &'static str,
}

impl Language {
    fn guide(self) -> Guide {
        match self {
            Language::Rust => Guide {
                title: "Rust",
                flag: "rust",
                toolchain: "Needs Rust with the `wasm32-wasip2` target (`rustup target add wasm32-wasip2`).",
                build: "cargo build --target wasm32-wasip2 --release",
                wasm: "target/wasm32-wasip2/release/{{module}}.wasm",
                wasm_dir: "target/wasm32-wasip2/release",
                layout: "- `src/lib.rs`: the rule, on the `glue-rules-sdk` crate.\n- `Cargo.toml`: a `cdylib` for `wasm32-wasip2`; the SDK by path.",
            },
            Language::Typescript => Guide {
                title: "TypeScript",
                flag: "typescript",
                toolchain: "Needs Node.js 20 or later; `npm ci` installs the pinned tsc, esbuild and componentize-js.",
                build: "npm ci\nnpm run build",
                wasm: "build/{{name}}.wasm",
                wasm_dir: "build",
                layout: "- `src/index.ts`: the rule.\n- `src/glue-rules.ts`: helpers (settings, glob, JSON text, actions), the TypeScript twin of the Rust SDK.\n- `src/glue-rules-wit.d.ts`: the WIT's types (`npm run wit-types` regenerates them).\n- `package.json`, `package-lock.json`, `tsconfig.json`: the pinned build.",
            },
            Language::Javascript => Guide {
                title: "JavaScript",
                flag: "javascript",
                toolchain: "Needs Node.js 20 or later; `npm ci` installs the pinned componentize-js.",
                build: "npm ci\nnpm run build",
                wasm: "build/{{name}}.wasm",
                wasm_dir: "build",
                layout: "- `src/index.js`: the rule.\n- `src/glue-rules.js`: helpers (settings, glob, JSON text, actions), the JavaScript twin of the Rust SDK.\n- `package.json`, `package-lock.json`: the pinned build.",
            },
            Language::Python => Guide {
                title: "Python",
                flag: "python",
                toolchain: "Needs Python 3.10 or later and componentize-py (`pip install -r requirements.txt`, in a virtual environment).",
                build: "pip install -r requirements.txt\n./build.sh",
                wasm: "build/{{name}}.wasm",
                wasm_dir: "build",
                layout: "- `src/app.py`: the rule (class `Handler`).\n- `src/glue_rules.py`: helpers (settings, glob, JSON text, actions), the Python twin of the Rust SDK.\n- `build.sh`, `requirements.txt`: the pinned build.",
            },
            Language::C => Guide {
                title: "C",
                flag: "c",
                toolchain: "Needs Python 3 with zig and wasm-tools from PyPI (`pip install -r requirements.txt`, in a virtual environment).",
                build: "pip install -r requirements.txt\n./build.sh",
                wasm: "build/{{name}}.wasm",
                wasm_dir: "build",
                layout: "- `src/rule.c`: the rule.\n- `src/glue_rules.{h,c}`: helpers (strings, settings, glob, JSON text, actions), the C twin of the Rust SDK.\n- `bindings/`: wit-bindgen 0.63's C bindings of `wit/rule.wit`.\n- `build.sh`, `requirements.txt`: the pinned build.",
            },
        }
    }

    /// The contract every template implements, written into the project as `wit/rule.wit`.
    fn contract(self) -> (&'static str, &'static str) {
        ("glue:rules@0.2.0", include_str!("../../../wit/rule.wit"))
    }

    fn files(self) -> &'static [Template] {
        match self {
            Language::Rust => RUST,
            Language::Typescript => TYPESCRIPT,
            Language::Javascript => JAVASCRIPT,
            Language::Python => PYTHON,
            Language::C => C,
        }
    }

    fn lockfile(self) -> Option<(&'static str, &'static str)> {
        match self {
            Language::Javascript => Some((JAVASCRIPT_LOCK, "glue-rules-js-plugins")),
            Language::Typescript => Some((TYPESCRIPT_LOCK, "glue-rules-typescript-plugins")),
            _ => None,
        }
    }
}

/// Why a name cannot be a plugin's name, if it cannot.
fn check_name(name: &str) -> Result<(), String> {
    let valid = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid plugin name {name:?}: use lower-case letters, digits and single dashes, \
             starting with a letter, at most 64 characters (e.g. notify-on-failure)"
        ))
    }
}

/// `notify-on-failure` → `NotifyOnFailure`.
fn type_name(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The SDK of the checkout this binary was built from, when it is still there.
fn default_sdk_path() -> Option<PathBuf> {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../guest-sdk/rust"))
        .canonicalize()
        .ok()
        .filter(|p| p.join("Cargo.toml").is_file())
}

/// Replaces every `{{key}}` of `values` in `text`.
fn substitute(text: &str, values: &[(&str, String)]) -> String {
    let mut out = text.to_owned();
    for (key, value) in values {
        out = out.replace(&format!("{{{{{key}}}}}"), value);
    }
    out
}

/// The files of a project: (path in the project, text, executable).
fn render(
    name: &str,
    lang: Language,
    sdk_path: Option<&Path>,
) -> Result<Vec<(String, String, bool)>, String> {
    let guide = lang.guide();
    let module = name.replace('-', "_");
    let mut values: Vec<(&str, String)> = vec![
        ("name", name.to_owned()),
        ("module", module.clone()),
        ("type_name", type_name(name)),
        ("language", guide.title.to_owned()),
        ("lang", guide.flag.to_owned()),
        ("toolchain", guide.toolchain.to_owned()),
        ("build", guide.build.to_owned()),
        ("layout", guide.layout.to_owned()),
        ("wasm_dir", guide.wasm_dir.to_owned()),
        ("contract", lang.contract().0.to_owned()),
    ];
    // `wasm` itself holds placeholders.
    let wasm = substitute(guide.wasm, &values);
    values.push(("wasm", wasm));
    if lang == Language::Rust {
        let sdk = sdk_path.ok_or(
            "cannot find the glue-rules-sdk crate for a Rust plugin: pass --sdk-path DIR \
             (the guest-sdk/ directory of a glue-rules checkout)",
        )?;
        let text = sdk.display().to_string();
        if text.contains('\'') || text.contains('\n') {
            return Err(format!(
                "--sdk-path {text:?}: a path with a quote or a line break cannot go in Cargo.toml"
            ));
        }
        values.push(("sdk_path", text));
    }
    let mut files = Vec::new();
    for template in COMMON.iter().chain(lang.files()) {
        let text = if template.substitute {
            substitute(template.text, &values)
        } else {
            template.text.to_owned()
        };
        files.push((template.path.to_owned(), text, template.executable));
    }
    files.push((
        "wit/rule.wit".to_owned(),
        lang.contract().1.to_owned(),
        false,
    ));
    if let Some((lock, package)) = lang.lockfile() {
        // The example plugins' lockfile, renamed: the same pinned packages.
        let text = lock
            .replacen(
                &format!("\"name\": \"{package}\""),
                &format!("\"name\": \"{name}\""),
                2,
            )
            .replacen("      \"license\": \"Apache-2.0\",\n", "", 1);
        files.push(("package-lock.json".to_owned(), text, false));
    }
    Ok(files)
}

pub(crate) fn run(args: NewArgs) -> anyhow::Result<u8> {
    if let Err(problem) = check_name(&args.name) {
        eprintln!("error: {problem}");
        return Ok(exit::BAD_INPUT);
    }
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists() {
        let empty = dir.is_dir()
            && std::fs::read_dir(&dir)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
        if !empty {
            eprintln!(
                "error: {}: already exists and is not an empty directory",
                dir.display()
            );
            return Ok(exit::BAD_INPUT);
        }
    }
    let sdk = match (&args.sdk_path, args.lang) {
        (Some(path), _) => match path.canonicalize() {
            Ok(path) if path.join("Cargo.toml").is_file() => Some(path),
            _ => {
                eprintln!(
                    "error: --sdk-path {}: not a crate directory",
                    path.display()
                );
                return Ok(exit::BAD_INPUT);
            }
        },
        (None, Language::Rust) => default_sdk_path(),
        (None, _) => None,
    };
    let files = match render(&args.name, args.lang, sdk.as_deref()) {
        Ok(files) => files,
        Err(problem) => {
            eprintln!("error: {problem}");
            return Ok(exit::BAD_INPUT);
        }
    };
    for (path, text, executable) in &files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", parent.display()))?;
        }
        std::fs::write(&target, text)
            .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", target.display()))?;
        #[cfg(unix)]
        if *executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).map_err(
                |e| anyhow::anyhow!("{}: cannot make executable: {e}", target.display()),
            )?;
        }
        #[cfg(not(unix))]
        let _ = executable;
    }
    let guide = args.lang.guide();
    let wasm = substitute(
        guide.wasm,
        &[
            ("name", args.name.clone()),
            ("module", args.name.replace('-', "_")),
        ],
    );
    println!(
        "created {} ({}) in {}",
        args.name,
        guide.title,
        dir.display()
    );
    println!();
    println!("next:");
    println!("  cd {}", dir.display());
    for line in guide.build.lines() {
        println!("  {line}");
    }
    println!("  glue-rules test {wasm} --fixtures fixtures");
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["a", "notify-on-failure", "rule2", "x-1-y"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Upper",
            "1st",
            "trailing-",
            "double--dash",
            "under_score",
            "sp ace",
            &"a".repeat(65),
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert_eq!(type_name("notify-on-failure"), "NotifyOnFailure");
    }

    #[test]
    fn every_language_renders_without_leftover_placeholders() {
        let sdk = Path::new("/sdk");
        for lang in [
            Language::Rust,
            Language::Typescript,
            Language::Javascript,
            Language::Python,
            Language::C,
        ] {
            let files = render("my-rule", lang, Some(sdk)).expect("renders");
            for (path, text, _) in &files {
                let template = COMMON.iter().chain(lang.files()).find(|t| t.path == path);
                if template.is_none_or(|t| t.substitute) {
                    assert!(!text.contains("{{"), "{lang:?} {path}: {text}");
                }
            }
            let readme = &files.iter().find(|(p, _, _)| p == "README.md").unwrap().1;
            assert!(readme.contains("glue-rules test"), "{lang:?}");
            let wit = &files
                .iter()
                .find(|(p, _, _)| p == "wit/rule.wit")
                .unwrap()
                .1;
            let (contract, _) = lang.contract();
            assert!(readme.contains(contract), "{lang:?}");
            assert!(
                wit.contains(&format!("package {contract};")),
                "{lang:?}: the project's WIT is {contract}"
            );
        }
        let rust = render("my-rule", Language::Rust, Some(sdk)).unwrap();
        let cargo = &rust.iter().find(|(p, _, _)| p == "Cargo.toml").unwrap().1;
        assert!(
            cargo.contains("glue-rules-sdk = { path = '/sdk' }"),
            "{cargo}"
        );
        assert!(render("my-rule", Language::Rust, None).is_err());
        let js = render("my-rule", Language::Javascript, None).unwrap();
        let lock = &js
            .iter()
            .find(|(p, _, _)| p == "package-lock.json")
            .unwrap()
            .1;
        assert!(
            lock.starts_with("{\n  \"name\": \"my-rule\""),
            "{}",
            &lock[..80]
        );
    }

    #[test]
    fn the_c_bindings_were_generated_from_the_current_wit() {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(include_bytes!("../../../wit/rule.wit"));
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            include_str!("../../../plugins/c/bindings/wit.sha256").trim(),
            hex,
            "wit/rule.wit changed: regenerate the C bindings with plugins/c/bindgen.sh"
        );
    }
}
