//! `ssocred sinks`: every registered sink, with its options on request.

use ssocred_core::Error;
use ssocred_core::sink::registered;

use crate::output::write_stdout;

/// Runs the command.
pub fn run(verbose: bool) -> Result<(), Error> {
    let mut out = String::new();
    let all = registered();
    let width = all.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for r in all {
        out.push_str(&format!("{:width$}  {}\n", r.name, r.description));
        if verbose {
            if let Some(arg) = r.argument {
                out.push_str(&format!(
                    "{:width$}    usage: --sink {}[:{arg}][,KEY=VALUE...]\n",
                    "", r.name
                ));
            }
            for option in r.options {
                let (name, help) = (option.name(), option.help());
                out.push_str(&format!("{:width$}    {name}: {help}\n", ""));
            }
        }
    }
    if verbose {
        out.push_str(
            "\nA sink spec is NAME[:ARG][,KEY=VALUE...]: ARG is shorthand for the sink's first option,\n\
             and options may also follow the name directly (json,format=array).\n",
        );
    }
    write_stdout(out.as_bytes())
}
