"""Print, as JSON, the SSO credentials botocore resolves for a profile with
the role-credential cache the AWS CLI v2 gives it: a JSONFileCache in
~/.aws/cli/cache.

The AWS CLI v2 builds its credential chain exactly so (its session passes a
JSONFileCache of that directory to botocore's credential resolver), so what
this script reads and writes is what `aws` reads and writes. ssocred's tests
use it to show that each tool reuses the other's cached role credentials.
"""
import json
import os
import sys

import botocore.credentials
import botocore.session
from botocore.utils import JSONFileCache


def main() -> int:
    profile = sys.argv[1]
    session = botocore.session.Session(profile=profile)
    cache = JSONFileCache(os.path.expanduser(os.path.join("~", ".aws", "cli", "cache")))
    resolver = botocore.credentials.create_credential_resolver(session, cache=cache)
    session.register_component("credential_provider", resolver)
    creds = session.get_credentials()
    if creds is None:
        print(json.dumps({"error": "no credentials"}))
        return 1
    frozen = creds.get_frozen_credentials()
    print(json.dumps({
        "method": creds.method,
        "access_key": frozen.access_key,
        "secret_key": frozen.secret_key,
        "token": frozen.token,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
