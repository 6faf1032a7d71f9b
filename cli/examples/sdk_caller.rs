//! A Rust program in a user's shell, as the end-to-end tests need one: it
//! finds credentials through the Rust SDK's default chain (environment,
//! `AWS_PROFILE` or `[default]`, web identity, the container endpoint) and
//! prints the ARN that STS's `GetCallerIdentity` answers for them, or the
//! SDK's error on stderr with exit code 1.
//!
//! `tests/e2e/shell_default.rs` runs it in bash after `ssocred use`, beside
//! boto3 and the AWS CLI. Only HTTP is built in: the tests' STS and
//! endpoints are on 127.0.0.1 (`AWS_ENDPOINT_URL_STS`).

use std::process::ExitCode;

use aws_config::BehaviorVersion;
use aws_smithy_types::error::display::DisplayErrorContext;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("sdk_caller: no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .load()
            .await;
        let answer = aws_sdk_sts::Client::new(&config)
            .get_caller_identity()
            .send()
            .await;
        match answer {
            Ok(identity) => {
                println!("{}", identity.arn().unwrap_or_default());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("sdk_caller: {}", DisplayErrorContext(&e));
                ExitCode::FAILURE
            }
        }
    })
}
