//! The layers of one resolution, highest first: flags, environment, the
//! project file, the preset, the config's top level. Every setting is the
//! first layer that gives it ([`Stack::get`]), with that layer as its
//! source; built-in defaults are the resolvers' own.

use std::borrow::Cow;
use std::path::PathBuf;

use crate::settings::config_file::SettingsFile;

use super::layer::{Key, Layer};
use super::{Source, Sourced};

/// Where a layer comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The command line.
    Flags,
    /// The environment.
    Env,
    /// The trusted project file at this path.
    Project(PathBuf),
    /// `[preset.NAME]` of the config.
    Preset(String),
    /// The config's top level.
    Config,
}

/// One layer and where it came from.
pub struct Entry<'a> {
    /// Its origin.
    pub origin: Origin,
    /// Its settings.
    pub layer: &'a Layer,
    /// The file it was read from, for errors that name a line.
    pub file: Option<&'a dyn SettingsFile>,
}

/// The layers of one resolution, highest first.
pub struct Stack<'a> {
    entries: Vec<Entry<'a>>,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Stack<'a> {
    /// An empty stack over an environment lookup.
    pub fn new(env: &'a dyn Fn(&str) -> Option<String>) -> Stack<'a> {
        Stack {
            entries: Vec::new(),
            env,
        }
    }

    /// Adds a layer below the ones already there.
    pub fn push(&mut self, origin: Origin, layer: &'a Layer, file: Option<&'a dyn SettingsFile>) {
        self.entries.push(Entry {
            origin,
            layer,
            file,
        });
    }

    /// The layer at `index`.
    pub fn entry(&self, index: usize) -> &Entry<'a> {
        &self.entries[index]
    }

    /// The first layer that gives a value, with its index.
    pub fn first<T>(&self, pick: impl Fn(&Layer) -> Option<T>) -> Option<(usize, T)> {
        self.entries
            .iter()
            .enumerate()
            .find_map(|(i, e)| pick(e.layer).map(|v| (i, v)))
    }

    /// The first layer that gives `key`, and the value with its source.
    pub fn get<T>(&self, key: &Key, pick: impl Fn(&Layer) -> Option<T>) -> Option<Sourced<T>> {
        self.first(pick).map(|(i, value)| Sourced {
            value,
            source: self.source(i, key),
        })
    }

    /// [`get`](Self::get), else `default` from ssocred itself.
    pub fn get_or<T>(
        &self,
        key: &Key,
        pick: impl Fn(&Layer) -> Option<T>,
        default: T,
    ) -> Sourced<T> {
        self.get(key, pick).unwrap_or(Sourced {
            value: default,
            source: Source::Default,
        })
    }

    /// The source of `key` in the layer at `index`: the flag or the
    /// variable for the command line and the environment.
    pub fn source(&self, index: usize, key: &Key) -> Source {
        match &self.entries[index].origin {
            Origin::Flags => Source::Flag(Cow::Borrowed(key.flag.unwrap_or("?"))),
            Origin::Env => {
                let set = key
                    .env
                    .iter()
                    .find(|name| (self.env)(name).is_some_and(|v| !v.is_empty()))
                    .or(key.env.first())
                    .copied()
                    .unwrap_or("?");
                Source::Env(Cow::Borrowed(set))
            }
            Origin::Project(path) => Source::Project(path.clone()),
            Origin::Preset(name) => Source::Config(Some(name.clone())),
            Origin::Config => Source::Config(None),
        }
    }
}
