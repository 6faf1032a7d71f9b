"""Print, as JSON, the credentials botocore resolves for a profile.

Used by ssocred's end-to-end tests: botocore reads the files ssocred wrote (or
runs the credential_process line ssocred generated) with the environment the
test sets up (HOME, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE).
"""
import json
import sys

import botocore.session


def main() -> int:
    profile = sys.argv[1]
    session = botocore.session.Session(profile=profile)
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
        "region": session.get_config_variable("region"),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
