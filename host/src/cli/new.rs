//! `glue-rules new`: a ready plugin project in one of the supported guest languages, with its
//! build and test commands, a README, a sample configuration, fixtures with their expected
//! decisions and one native unit test (the plugin author's counterpart of `spin new`).
//!
//! The templates are compiled into the binary from `host/templates/` (`common/` plus the
//! language's directory). A project depends on its language's SDK package by version
//! ([`SDK_VERSION`]: the crate `glue-rules-sdk`, the npm package `@glue-rules/sdk`, the wheels
//! `glue-rules-sdk` and `glue-rules-sdk-c`), which carries the helpers and the WIT, so nothing is
//! copied into the project and an upgrade is a version bump. `--sdk PATH` points the dependency
//! at a local package instead (a crate directory, an npm tarball, a wheel), for SDK development
//! and for trying an unreleased SDK.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::exit;

/// The guest languages `glue-rules new` can start a plugin in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Language {
    /// Rust with the glue-rules-sdk crate (cargo, wasm32-wasip2).
    Rust,
    /// TypeScript with @glue-rules/sdk (esbuild and componentize-js from npm).
    Typescript,
    /// JavaScript with @glue-rules/sdk (esbuild and componentize-js from npm).
    Javascript,
    /// Python with the glue-rules-sdk wheel (componentize-py from PyPI).
    Python,
    /// C with the glue-rules-sdk-c header (zig and wasm-tools from PyPI).
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
    /// Depend on a local SDK package instead of the released version: the glue-rules-sdk crate
    /// directory (Rust), an `@glue-rules/sdk` tarball from `npm pack` or its directory
    /// (JavaScript, TypeScript), a `glue-rules-sdk` wheel (Python) or a `glue-rules-sdk-c`
    /// wheel (C).
    #[arg(long, value_name = "PATH", alias = "sdk-path")]
    sdk: Option<PathBuf>,
}

/// The templates, embedded whole: `common/` goes into every project, `<language>/` beside it.
/// Every file is text with `{{placeholders}}`; shell scripts are written executable.
static TEMPLATES: include_dir::Dir<'_> = include_dir::include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The SDK version generated projects depend on: the contract's (glue:rules@0.2.0), since
/// every SDK package is versioned after the contract it targets.
pub(crate) const SDK_VERSION: &str = "0.2.0";

/// The contract every template implements.
const CONTRACT: &str = "glue:rules@0.2.0";

/// What the README, `glue-rules.toml` and the closing message say about one language.
struct Guide {
    title: &'static str,
    /// The `--lang` value and the template directory.
    flag: &'static str,
    toolchain: &'static str,
    /// One-time set-up, shown in the README and the closing message.
    install: &'static str,
    /// `[project] build`: what `glue-rules dev` runs after an edit.
    build: &'static str,
    /// `[project] test`: the native unit tests.
    test: &'static str,
    wasm: &'static str,
    wasm_dir: &'static str,
    /// `[project] watch`: the sources `glue-rules dev` watches.
    watch: &'static str,
    layout: &'static str,
}

impl Language {
    fn guide(self) -> Guide {
        match self {
            Language::Rust => Guide {
                title: "Rust",
                flag: "rust",
                toolchain: "Needs Rust with the `wasm32-wasip2` target (`rustup target add wasm32-wasip2`).",
                install: "rustup target add wasm32-wasip2",
                build: "cargo build --target wasm32-wasip2 --release",
                test: "cargo test",
                wasm: "target/wasm32-wasip2/release/{{module}}.wasm",
                wasm_dir: "target/wasm32-wasip2/release",
                watch: r#"["src", "fixtures", "Cargo.toml"]"#,
                layout: "- `src/lib.rs`: the rule, on the `glue-rules-sdk` crate, with its unit test.\n- `Cargo.toml`: a `cdylib` for `wasm32-wasip2`, depending on `glue-rules-sdk`.",
            },
            Language::Typescript => Guide {
                title: "TypeScript",
                flag: "typescript",
                toolchain: "Needs Node.js 20 or later; `npm install` installs `@glue-rules/sdk` and the pinned tsc, esbuild and componentize-js.",
                install: "npm install",
                build: "npm run build",
                test: "npm test",
                wasm: "build/{{name}}.wasm",
                wasm_dir: "build",
                watch: r#"["src", "test", "fixtures", "package.json"]"#,
                layout: "- `src/index.ts`: the rule, on `@glue-rules/sdk` (helpers, action builders, templating, the WIT's types).\n- `test/`: its unit test, run by `node --test` with the SDK's stand-in for the host.\n- `package.json`, `tsconfig.json`: the pinned build.",
            },
            Language::Javascript => Guide {
                title: "JavaScript",
                flag: "javascript",
                toolchain: "Needs Node.js 20 or later; `npm install` installs `@glue-rules/sdk` and the pinned esbuild and componentize-js.",
                install: "npm install",
                build: "npm run build",
                test: "npm test",
                wasm: "build/{{name}}.wasm",
                wasm_dir: "build",
                watch: r#"["src", "test", "fixtures", "package.json"]"#,
                layout: "- `src/index.js`: the rule, on `@glue-rules/sdk` (helpers, action builders, templating).\n- `test/`: its unit test, run by `node --test` with the SDK's stand-in for the host.\n- `package.json`: the pinned build.",
            },
            Language::Python => Guide {
                title: "Python",
                flag: "python",
                toolchain: "Needs Python 3.11 or later; `pip install -r requirements.txt` (in a virtual environment) installs the `glue-rules-sdk` wheel, componentize-py and pytest.",
                install: "pip install -r requirements.txt",
                build: "./build.sh",
                test: "python -m pytest -q",
                wasm: "build/{{name}}.wasm",
                wasm_dir: "build",
                watch: r#"["src", "tests", "fixtures", "requirements.txt"]"#,
                layout: "- `src/app.py`: the rule (class `Handler`), on the `glue_rules_sdk` package.\n- `tests/`: its unit test, run by pytest with the SDK's stand-in for the host.\n- `build.sh`, `requirements.txt`: the pinned build.",
            },
            Language::C => Guide {
                title: "C",
                flag: "c",
                toolchain: "Needs Python 3; `pip install -r requirements.txt` (in a virtual environment) installs the `glue-rules-sdk-c` header package and the pinned zig and wasm-tools.",
                install: "pip install -r requirements.txt",
                build: "./build.sh",
                test: "./build.sh test",
                wasm: "build/{{name}}.wasm",
                wasm_dir: "build",
                watch: r#"["src", "tests", "fixtures", "build.sh", "requirements.txt"]"#,
                layout: "- `src/rule.c`: the rule, on the single-header SDK `glue_rules.h` (from `glue-rules-sdk-c`).\n- `tests/`: its unit test, compiled natively against the SDK's stand-in for the host.\n- `build.sh`, `requirements.txt`: the pinned build.",
            },
        }
    }

    /// The line of the project's manifest that names the SDK: by version, or the local package
    /// `sdk`, which has been checked.
    fn sdk_dependency(self, sdk: Option<&Path>) -> String {
        let path = sdk.map(|p| p.display().to_string());
        match (self, path) {
            (Language::Rust | Language::Javascript | Language::Typescript, None) => {
                format!("\"{SDK_VERSION}\"")
            }
            (Language::Rust, Some(path)) => {
                format!("{{ version = \"{SDK_VERSION}\", path = '{path}' }}")
            }
            (Language::Javascript | Language::Typescript, Some(path)) => {
                serde_json::Value::String(format!("file:{path}")).to_string()
            }
            (Language::Python, None) => format!("glue-rules-sdk=={SDK_VERSION}"),
            (Language::C, None) => format!("glue-rules-sdk-c=={SDK_VERSION}"),
            (Language::Python | Language::C, Some(path)) => path,
        }
    }

    /// Whether `path` is a local package of this language's SDK; the reason when it is not.
    fn check_sdk(self, path: &Path) -> Result<PathBuf, String> {
        let shown = path.display();
        let path = path
            .canonicalize()
            .map_err(|e| format!("--sdk {shown}: {e}"))?;
        let text = path.display().to_string();
        if text.contains(['\'', '"', '\n', '\\']) {
            return Err(format!(
                "--sdk {shown}: a path with quotes, backslashes or line breaks cannot go in the project's manifest"
            ));
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ok = match self {
            Language::Rust => manifest_names(&path.join("Cargo.toml"), "name = \"glue-rules-sdk\""),
            Language::Javascript | Language::Typescript => {
                (path.is_file() && file_name.ends_with(".tgz"))
                    || manifest_names(&path.join("package.json"), "\"@glue-rules/sdk\"")
            }
            Language::Python => {
                path.is_file()
                    && file_name.starts_with("glue_rules_sdk-")
                    && file_name.ends_with(".whl")
            }
            Language::C => {
                path.is_file()
                    && file_name.starts_with("glue_rules_sdk_c-")
                    && file_name.ends_with(".whl")
            }
        };
        if ok {
            Ok(path)
        } else {
            Err(format!(
                "--sdk {shown}: not {}",
                match self {
                    Language::Rust => "the glue-rules-sdk crate's directory (guest-sdk/rust)",
                    Language::Javascript | Language::Typescript =>
                        "an @glue-rules/sdk tarball (`npm pack` in guest-sdk/js) or its directory",
                    Language::Python =>
                        "a glue-rules-sdk wheel (glue_rules_sdk-VERSION-py3-none-any.whl)",
                    Language::C =>
                        "a glue-rules-sdk-c wheel (glue_rules_sdk_c-VERSION-py3-none-any.whl)",
                }
            ))
        }
    }
}

/// Whether the manifest at `path` exists and contains `needle` (its package name).
fn manifest_names(path: &Path, needle: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| text.contains(needle))
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
    sdk: Option<&Path>,
) -> Result<Vec<(String, String, bool)>, String> {
    let guide = lang.guide();
    let module = name.replace('-', "_");
    let mut values: Vec<(&str, String)> = vec![
        ("name", name.to_owned()),
        ("module", module),
        ("type_name", type_name(name)),
        ("language", guide.title.to_owned()),
        ("lang", guide.flag.to_owned()),
        ("toolchain", guide.toolchain.to_owned()),
        ("install", guide.install.to_owned()),
        ("build", guide.build.to_owned()),
        ("test", guide.test.to_owned()),
        ("watch", guide.watch.to_owned()),
        ("layout", guide.layout.to_owned()),
        ("wasm_dir", guide.wasm_dir.to_owned()),
        ("contract", CONTRACT.to_owned()),
        ("sdk_version", SDK_VERSION.to_owned()),
        ("sdk_dependency", lang.sdk_dependency(sdk)),
    ];
    // `wasm` itself holds placeholders.
    let wasm = substitute(guide.wasm, &values);
    values.push(("wasm", wasm));
    let mut files = Vec::new();
    for dir in ["common", guide.flag] {
        let root = TEMPLATES
            .get_dir(dir)
            .ok_or_else(|| format!("this glue-rules was built without the {dir} template"))?;
        collect(root, Path::new(dir), &values, &mut files)?;
    }
    Ok(files)
}

/// Adds every file under `dir` (whose path in the templates is `root`) to `files`.
fn collect(
    dir: &include_dir::Dir<'_>,
    root: &Path,
    values: &[(&str, String)],
    files: &mut Vec<(String, String, bool)>,
) -> Result<(), String> {
    for file in dir.files() {
        let relative = file.path().strip_prefix(root).map_err(|_| {
            format!(
                "template file {} is outside {}",
                file.path().display(),
                root.display()
            )
        })?;
        let text = file
            .contents_utf8()
            .ok_or_else(|| format!("template file {} is not UTF-8 text", file.path().display()))?;
        // A file a project must hold under a name a template directory cannot (`.gitignore`
        // would be taken by the repository's own git) is stored without its dot.
        let path = match relative.to_str() {
            Some("gitignore") => ".gitignore".to_owned(),
            Some(path) => path.to_owned(),
            None => {
                return Err(format!(
                    "template file {} has a non-UTF-8 name",
                    relative.display()
                ));
            }
        };
        let executable = path.ends_with(".sh");
        files.push((path, substitute(text, values), executable));
    }
    for sub in dir.dirs() {
        collect(sub, root, values, files)?;
    }
    Ok(())
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
    let sdk = match args
        .sdk
        .as_deref()
        .map(|p| args.lang.check_sdk(p))
        .transpose()
    {
        Ok(sdk) => sdk,
        Err(problem) => {
            eprintln!("error: {problem}");
            return Ok(exit::BAD_INPUT);
        }
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
    let sdk_text = match &sdk {
        Some(path) => format!("the local SDK {}", path.display()),
        None => format!("SDK {SDK_VERSION}"),
    };
    println!(
        "created {} ({}, {sdk_text}) in {}",
        args.name,
        guide.title,
        dir.display()
    );
    println!();
    println!("next:");
    println!("  cd {}", dir.display());
    println!("  {}", guide.install);
    println!("  {}", guide.build);
    println!("  {}", guide.test);
    println!("  glue-rules test {wasm} --fixtures fixtures");
    println!("  glue-rules dev      # rebuild, test and reload on every edit");
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Language; 5] = [
        Language::Rust,
        Language::Typescript,
        Language::Javascript,
        Language::Python,
        Language::C,
    ];

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
    fn every_language_renders_without_leftover_placeholders_or_copied_helpers() {
        for lang in ALL {
            let files = render("my-rule", lang, None).expect("renders");
            for (path, text, _) in &files {
                assert!(!text.contains("{{"), "{lang:?} {path}: {text}");
                assert!(
                    !path.starts_with("wit/")
                        && !path.contains("glue-rules.js")
                        && !path.contains("glue_rules.py")
                        && !path.contains("glue_rules.h")
                        && !path.contains("bindings/"),
                    "{lang:?}: {path} is a copy of the SDK; the project must depend on it"
                );
            }
            let file = |name: &str| {
                &files
                    .iter()
                    .find(|(p, _, _)| p == name)
                    .unwrap_or_else(|| panic!("{lang:?}: no {name}"))
                    .1
            };
            assert!(file("README.md").contains("glue-rules test"), "{lang:?}");
            assert!(file("README.md").contains(CONTRACT), "{lang:?}");
            assert!(files.iter().any(|(p, _, _)| p == ".gitignore"), "{lang:?}");
            let config = file("glue-rules.toml");
            let guide = lang.guide();
            assert!(
                config.contains(&format!("build = {:?}", guide.build)),
                "{lang:?}: {config}"
            );
            assert!(
                config.contains(&format!("test = {:?}", guide.test)),
                "{lang:?}: {config}"
            );
        }
    }

    #[test]
    fn projects_depend_on_the_sdk_by_version_or_on_the_local_package_given() {
        let by_version = |lang: Language, file: &str| {
            render("my-rule", lang, None)
                .unwrap()
                .into_iter()
                .find(|(p, _, _)| p == file)
                .unwrap_or_else(|| panic!("{lang:?}: no {file}"))
                .1
        };
        assert!(by_version(Language::Rust, "Cargo.toml").contains("glue-rules-sdk = \"0.2.0\""));
        for lang in [Language::Javascript, Language::Typescript] {
            assert!(
                by_version(lang, "package.json").contains("\"@glue-rules/sdk\": \"0.2.0\""),
                "{lang:?}"
            );
        }
        assert!(by_version(Language::Python, "requirements.txt").contains("glue-rules-sdk==0.2.0"));
        assert!(by_version(Language::C, "requirements.txt").contains("glue-rules-sdk-c==0.2.0"));
        assert_eq!(
            Language::Rust.sdk_dependency(Some(Path::new("/sdk"))),
            "{ version = \"0.2.0\", path = '/sdk' }"
        );
        assert_eq!(
            Language::Javascript.sdk_dependency(Some(Path::new("/p/glue-rules-sdk-0.2.0.tgz"))),
            "\"file:/p/glue-rules-sdk-0.2.0.tgz\""
        );
        let missing = Language::Python.check_sdk(Path::new("/nonexistent.whl"));
        assert!(missing.unwrap_err().starts_with("--sdk /nonexistent.whl: "));
        let not_a_wheel = Language::Python.check_sdk(Path::new(env!("CARGO_MANIFEST_DIR")));
        assert!(
            not_a_wheel
                .unwrap_err()
                .contains("not a glue-rules-sdk wheel")
        );
    }

    #[test]
    fn the_sdk_version_is_the_rust_sdks() {
        let manifest = include_str!("../../../guest-sdk/rust/Cargo.toml");
        assert!(
            manifest.contains(&format!("version = \"{SDK_VERSION}\"")),
            "guest-sdk/rust/Cargo.toml is not version {SDK_VERSION}"
        );
    }
}
