//! `ssocred source add|list|remove` and `ssocred sync`: team sources, and
//! their blocks in the AWS config file (docs/sources.md).

use clap::{Args, Subcommand};
use ssocred_core::Error;
use ssocred_core::login;
use ssocred_core::os::fs::TargetFile;
use ssocred_core::store::profile::AwsPaths;

use crate::output::write_stdout;
use crate::request;
use crate::sources::fetch::{self, DEFAULT_PATH, Fetched};
use crate::sources::store::{Source, SourceStore, Synced, digest};
use crate::sources::team_file::{Origin, TeamFile};

/// `ssocred source ...`.
#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Record a team source: a git repository holding ssocred-team.toml,
    /// pinned to a branch, tag or commit (or an https file pinned by
    /// --sha256). `ssocred sync` then fetches it.
    Add(AddArgs),
    /// List the team sources and what was last synced from each.
    List,
    /// Forget a team source and remove its block from the AWS config file.
    Remove {
        /// The source's name.
        name: String,
    },
}

/// `ssocred source add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The source's name (letters, digits, - and _).
    pub name: String,
    /// The git repository, as `git clone` takes it; or, with --sha256, the
    /// https URL of the file.
    pub url: String,
    /// A branch, tag or commit id [default: the repository's default branch].
    #[arg(long = "ref", value_name = "REF")]
    pub git_ref: Option<String>,
    /// The source file's path in the repository.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_PATH)]
    pub path: String,
    /// URL is one file over https, used only when it has this SHA-256.
    #[arg(long, value_name = "HEX", conflicts_with_all = ["git_ref", "path"])]
    pub sha256: Option<String>,
}

// `ssocred sync`: the variant doc in commands/mod.rs is its help.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The source to sync [default: every source].
    pub name: Option<String>,
    /// Print the unified diff of the AWS config file and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Accept what a moving ref (a branch) now holds without being asked:
    /// without a terminal, sync otherwise writes only pinned refs (a tag or
    /// a commit) and https files pinned by their SHA-256.
    #[arg(long, short = 'y', conflicts_with = "dry_run")]
    pub yes: bool,

    /// The daily sync's own run (`[sources] sync = "daily"`): as without a
    /// terminal, and says when it ran.
    #[arg(long, hide = true, conflicts_with_all = ["dry_run", "yes"])]
    pub auto: bool,
}

/// How an edit of the AWS config file is written once its diff is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    /// Not at all.
    DryRun,
    /// At once.
    Now,
    /// After a yes on the terminal.
    AskFirst,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Runs `ssocred source ...`.
pub fn run(action: &SourceCommand) -> Result<(), Error> {
    let store = SourceStore::from_env(&env)?;
    match action {
        SourceCommand::Add(args) => add(&store, args),
        SourceCommand::List => list(&store),
        SourceCommand::Remove { name } => remove(&store, name),
    }
}

fn add(store: &SourceStore, args: &AddArgs) -> Result<(), Error> {
    fetch::check_source_name(&args.name)?;
    let sha256 = args.sha256.as_ref().map(|h| h.to_ascii_lowercase());
    let source = Source {
        url: args.url.clone(),
        git_ref: args.git_ref.clone(),
        path: match &sha256 {
            Some(_) => crate::sources::https::file_name(&args.url),
            None => args.path.clone(),
        },
        sha256,
        synced: None,
    };
    fetch::check_source(&source)?;
    store.update(|sources| {
        if let Some(known) = sources.sources.get_mut(&args.name) {
            if known.url == source.url && known.path == source.path {
                // A new pin for a known source: the next sync shows the diff.
                known.git_ref = source.git_ref.clone();
                known.sha256 = source.sha256.clone();
                return Ok(());
            }
            return Err(Error::Usage(format!(
                "a source named `{}` already exists ({}); remove it first",
                args.name, known.url
            )));
        }
        sources.sources.insert(args.name.clone(), source.clone());
        Ok(())
    })?;
    ssocred_core::stderr_line!(
        "ssocred: source `{}` recorded; `ssocred sync {}` fetches it and shows what it writes",
        args.name,
        args.name
    );
    Ok(())
}

fn list(store: &SourceStore) -> Result<(), Error> {
    let mut out = String::new();
    for (name, source) in store.load()?.sources {
        let pin = match &source.sha256 {
            Some(sha256) => format!("sha256={sha256}"),
            None => format!("ref={}", source.git_ref.as_deref().unwrap_or("HEAD")),
        };
        out.push_str(&format!(
            "{name}\t{}\t{pin}\tpath={}\t{}\n",
            source.url,
            source.path,
            source
                .synced
                .as_ref()
                .map_or("never synced".to_owned(), |s| format!(
                    "synced={}",
                    s.commit
                ))
        ));
    }
    write_stdout(out.as_bytes())
}

fn remove(store: &SourceStore, name: &str) -> Result<(), Error> {
    let known = store.load()?;
    if !known.sources.contains_key(name) {
        return Err(unknown(name));
    }
    let paths = request::paths()?;
    edit_config(&paths, Write::Now, |text| {
        crate::sources::remove(text, name).map_err(|why| config_error(&paths, why))
    })?;
    store.update(|sources| {
        sources.sources.remove(name);
        Ok(())
    })?;
    store.drop_snapshot(name)?;
    let cache = ssocred_core::os::dirs::ssocred_cache_dir(&env, &paths.home);
    let repository = fetch::repository(&cache, name);
    if repository.is_dir() {
        let _ = std::fs::remove_dir_all(&repository);
    }
    ssocred_core::stderr_line!("ssocred: source `{name}` removed");
    Ok(())
}

fn unknown(name: &str) -> Error {
    Error::Usage(format!(
        "no team source named `{name}`; `ssocred source list` shows them"
    ))
}

fn config_error(paths: &AwsPaths, message: String) -> Error {
    Error::ConfigFile {
        path: paths.config.clone(),
        message,
    }
}

/// Edits the AWS config file under its lock: `change` gives the new text
/// from the old; the diff is printed, and the file written unless
/// `dry_run`. The new text must parse, or nothing is written.
fn edit_config(
    paths: &AwsPaths,
    write: Write,
    change: impl FnOnce(&str) -> Result<String, Error>,
) -> Result<bool, Error> {
    let dry_run = write == Write::DryRun;
    let path = &paths.config;
    let io = |what: &str, e: std::io::Error| login::file_error(path, what, &e);
    // A dry run takes no lock: its sidecar file would be a write.
    let file = if dry_run {
        TargetFile::open_for_reading(path)
    } else {
        TargetFile::open_for_update(path)
    }
    .map_err(|e| io("cannot open", e))?;
    let before = file
        .read()
        .map_err(|e| io("cannot read", e))?
        .unwrap_or_default();
    ssocred_core::store::profile::parse_sections(Some(&before), None)
        .map_err(|why| config_error(paths, why))?;
    let after = change(&before)?;
    ssocred_core::store::profile::parse_sections(Some(&after), None).map_err(|why| {
        config_error(
            paths,
            format!("the synced file would not parse ({why}); nothing was written"),
        )
    })?;
    let diff =
        ssocred_core::store::setup::unified_diff(&before, &after, &path.display().to_string());
    write_stdout(diff.as_bytes())?;
    if diff.is_empty() {
        ssocred_core::stderr_line!("ssocred: {}: nothing to change", path.display());
        return Ok(false);
    }
    if dry_run {
        ssocred_core::stderr_line!("ssocred: {}: dry run, nothing written", path.display());
        return Ok(false);
    }
    if write == Write::AskFirst {
        let yes = inquire::Confirm::new(&format!("Write this to {}?", path.display()))
            .with_default(false)
            .prompt()
            .unwrap_or(false);
        if !yes {
            return Err(Error::Usage(format!(
                "{}: not written; nothing was changed",
                path.display()
            )));
        }
    }
    file.write(after.as_bytes())
        .map_err(|e| io("cannot write", e))?;
    ssocred_core::stderr_line!("ssocred: {}: written", path.display());
    Ok(true)
}

/// Runs `ssocred sync`: every chosen source is fetched and checked first;
/// then one edit writes all their blocks, or (on any failure) nothing.
pub fn run_sync(args: &SyncArgs) -> Result<(), Error> {
    if args.auto {
        let now = time::OffsetDateTime::now_utc();
        ssocred_core::stderr_line!(
            "ssocred: the daily sync of team sources ([sources] sync = \"daily\"), begun {}",
            ssocred_core::domain::time_fmt::utc_z(now)
        );
    }
    let store = SourceStore::from_env(&env)?;
    let known = store.load()?;
    let chosen: Vec<(String, Source)> = match &args.name {
        Some(name) => {
            let source = known.sources.get(name).ok_or_else(|| unknown(name))?;
            vec![(name.clone(), source.clone())]
        }
        None => known.sources.into_iter().collect(),
    };
    if chosen.is_empty() {
        return Err(Error::Usage(
            "no team source to sync; add one with `ssocred source add NAME URL`".to_owned(),
        ));
    }
    let paths = request::paths()?;
    let cache = ssocred_core::os::dirs::ssocred_cache_dir(&env, &paths.home);
    let mut fetched: Vec<(String, Fetched, TeamFile)> = Vec::new();
    for (name, source) in &chosen {
        let got = match source.sha256 {
            Some(_) => crate::sources::https::fetch(name, source, &paths)?,
            None => fetch::fetch(name, source, &cache)?,
        };
        let origin = Origin {
            source: name,
            file: &source.path,
        };
        let team = TeamFile::parse(origin, &got.text)?;
        fetched.push((name.clone(), got, team));
    }
    let write = match (args.dry_run, args.yes, unaccepted(&chosen, &fetched)) {
        (true, _, _) => Write::DryRun,
        (false, true, _) | (false, false, None) => Write::Now,
        (false, false, Some(_)) if !args.auto && on_a_terminal() => Write::AskFirst,
        (false, false, Some(name)) => {
            return Err(Error::Usage(format!(
                "source `{name}` follows a moving ref, and what it holds now was not accepted: without a terminal, sync writes only a pinned --ref (a tag or a commit) or a change you accept with --yes; see it with `ssocred sync --dry-run`"
            )));
        }
    };
    edit_config(&paths, write, |before| {
        let mut text = before.to_owned();
        for (name, got, team) in &fetched {
            let applied = crate::sources::apply(&text, name, &got.commit, team)
                .map_err(|why| config_error(&paths, why))?;
            for header in &applied.clashes {
                ssocred_core::stderr_line!(
                    "ssocred: warning: {}: {header} of source `{name}` is left out: a section of that name exists outside its block, and yours wins; rename or delete yours to take the source's",
                    paths.config.display()
                );
            }
            text = applied.text;
        }
        Ok(text)
    })?;
    if args.dry_run {
        return Ok(());
    }
    for (name, got, _) in &fetched {
        store.keep_snapshot(name, &got.text)?;
    }
    store.update(|sources| {
        for (name, got, _) in &fetched {
            if let Some(source) = sources.sources.get_mut(name) {
                source.synced = Some(Synced {
                    commit: got.commit.clone(),
                    sha256: digest(&got.text),
                });
            }
        }
        Ok(())
    })
}

/// The first source whose ref moves (a branch) and now names a commit
/// other than the one last synced: a change nobody has accepted yet.
fn unaccepted<'a>(
    chosen: &[(String, Source)],
    fetched: &'a [(String, Fetched, TeamFile)],
) -> Option<&'a str> {
    fetched.iter().find_map(|(name, got, _)| {
        let synced = chosen
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, s)| s.synced.as_ref());
        let accepted = synced.is_some_and(|s| s.commit == got.commit);
        (got.moving && !accepted).then_some(name.as_str())
    })
}

/// Whether a person can be asked: stdin and stderr are terminals.
fn on_a_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}
