"""Print, as a JSON list, the credentials boto3 resolves for each profile
named on the command line, and how botocore got them (custom-process, sso, ...).

Used by ssocred's discovery interop tests: the profiles are the ones
`ssocred discover` wrote, resolved with the environment the test sets up
(HOME, AWS_ENDPOINT_URL_SSO pointing at the emulator).
"""
import json
import sys

import boto3


def main() -> int:
    results = []
    for profile in sys.argv[1:]:
        session = boto3.Session(profile_name=profile)
        creds = session.get_credentials()
        if creds is None:
            results.append({"profile": profile, "error": "no credentials"})
            continue
        frozen = creds.get_frozen_credentials()
        results.append({
            "profile": profile,
            "method": creds.method,
            "access_key": frozen.access_key,
            "secret_key": frozen.secret_key,
            "token": frozen.token,
            "region": session.region_name,
        })
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
