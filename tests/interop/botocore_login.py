"""Print, as JSON, the credentials botocore's own provider gives for a
profile: for a `login_session` profile of `aws login`, botocore's
LoginProvider reads the cache file in ~/.aws/login/cache (or
AWS_LOGIN_CACHE_DIRECTORY) and, when the credentials are near their end,
refreshes them through AWS Sign-In (AWS_ENDPOINT_URL_SIGNIN) with a DPoP
proof, then writes the file back.

Used by ssocred's end-to-end tests: botocore reads and refreshes a session
file that ssocred (through the Rust SDK's provider) refreshed and wrote.

Usage: botocore_login.py PROFILE
"""
import json
import sys

import botocore.session


def main() -> int:
    session = botocore.session.Session(profile=sys.argv[1])
    creds = session.get_credentials()
    if creds is None:
        print(json.dumps({"error": "no credentials"}))
        return 1
    frozen = creds.get_frozen_credentials()
    print(json.dumps({"method": creds.method, "access_key": frozen.access_key}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
