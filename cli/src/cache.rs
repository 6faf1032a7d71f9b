//! The role-credential cache on the command line: its settings, the fast
//! path that answers `--sink process` from a cache hit, and `ssocred cache`.
//!
//! The fast path runs before anything else an invocation does. On a hit it
//! reads two small files (the AWS config and one cache entry), starts no
//! async runtime, builds no SDK client and never touches the token cache or
//! the credentials file. Anything it cannot settle (a miss, a bad profile, a
//! sink other than `process`) falls through to the full pipeline, which
//! reports errors with their proper messages and exit codes.

use std::time::Duration;

use ssocred_core::profile::{AwsPaths, ProfileFiles};
use ssocred_core::role_cache::{self, RoleCache};
use ssocred_core::{Error, SinkContext, deliver};
use time::OffsetDateTime;

use crate::args::{CacheAction, GetArgs};
use crate::settings::Settings;

/// The cache an invocation uses, or `None` when it is turned off.
pub fn role_cache(settings: &Settings, args: &GetArgs, paths: &AwsPaths) -> Option<RoleCache> {
    // A long-running mode refetches `refresh_before` ahead of expiry; a
    // narrower window would answer that refetch with the same credentials
    // and the refresh would come round again at once.
    let window =
        (u64::from(settings.cache_window.value) * 60).max(args.refresh_before.saturating_add(60));
    settings.cache_enabled.value.then(|| {
        RoleCache::new(
            role_cache::default_dir(&paths.home),
            Duration::from_secs(window),
        )
    })
}

/// Answers a `--sink process` call from the cache. `None` means the full
/// pipeline must run: the cache is off, missed, or the call is not one the
/// fast path serves. Settings resolve exactly as for the full pipeline
/// (flags, environment, the ssocred config file), so both agree on the
/// profile, role, region and sinks.
pub fn answer_from_cache(args: &GetArgs) -> Option<Result<(), Error>> {
    if args.no_cache || args.watch || args.discover_roles {
        return None;
    }
    let settings = crate::run::resolve_settings(args).ok()?;
    if !settings.cache_enabled.value {
        return None;
    }
    let [choice] = settings.sinks.value.as_slice() else {
        return None;
    };
    if choice.spec.name != "process" {
        return None;
    }
    let paths = AwsPaths::from_env(|name| std::env::var(name).ok()).ok()?;
    let cache = role_cache(&settings, args, &paths)?;
    let profile = ProfileFiles::load_config(&paths, &settings.profile.value)
        .and_then(|files| files.sso_profile(&settings.profile.value))
        .ok()?;
    // Only a role named outright; the chooser and --all need the portal.
    let crate::select::Plan::Role(role) = crate::select::plan(args, &settings, &profile).ok()?
    else {
        return None;
    };
    let cached = cache
        .lookup(&profile, &role, OffsetDateTime::now_utc())
        .ok()?;
    let region = settings
        .region
        .as_ref()
        .map(|r| r.value.clone())
        .or_else(|| profile.region.clone())
        .or_else(|| Some(profile.sso_region.clone()));
    let set = cache.to_set(cached, &profile, &role, region);
    if args.verbose {
        eprintln!(
            "ssocred: {} for {} from the role cache {}, expires {}",
            set.access_key_id,
            role,
            cache.path(&profile, &role).display(),
            set.expiration_utc()
        );
    }
    let ctx = SinkContext {
        config_file: paths.config.clone(),
        credentials_file: paths.credentials.clone(),
        cwd: std::path::PathBuf::new(),
    };
    Some((|| {
        let mut sinks = settings.build_sinks(&ctx)?;
        let stdout = std::io::stdout();
        deliver(
            std::slice::from_ref(&set),
            None,
            &mut sinks,
            &mut stdout.lock(),
        )?;
        Ok(())
    })())
}

/// `ssocred cache ACTION`.
pub fn run(action: &CacheAction) -> Result<(), Error> {
    let paths = AwsPaths::from_env(|name| std::env::var(name).ok())?;
    let dir = role_cache::default_dir(&paths.home);
    match action {
        CacheAction::Clear { verbose } => {
            let cache = RoleCache::new(dir.clone(), role_cache::DEFAULT_WINDOW);
            let removed = cache.clear().map_err(|e| {
                Error::Sink(ssocred_core::SinkError::Io {
                    path: dir.clone(),
                    message: format!("cannot clear the role cache: {e}"),
                })
            })?;
            if *verbose {
                eprintln!("ssocred: cleared the role cache {}", dir.display());
            }
            println!(
                "removed {removed} cached role credential(s) from {}",
                dir.display()
            );
            Ok(())
        }
    }
}
