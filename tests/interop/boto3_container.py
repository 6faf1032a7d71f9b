"""Print, as JSON, what botocore's container provider reads from
AWS_CONTAINER_CREDENTIALS_FULL_URI (with AWS_CONTAINER_AUTHORIZATION_TOKEN):
the first set, and the first different set it picks up afterwards, which
needs the endpoint to have refreshed.

Used by ssocred's end-to-end tests against `ssocred serve` and
`ssocred exec --via serve`. Argument: seconds to wait for a refreshed set.
"""
import json
import sys
import time

import boto3


def frozen(creds):
    f = creds.get_frozen_credentials()
    return {"access_key": f.access_key, "secret_key": f.secret_key, "token": f.token}


def main() -> int:
    patience = float(sys.argv[1])
    session = boto3.Session()
    creds = session.get_credentials()
    if creds is None:
        print(json.dumps({"error": "no credentials"}))
        return 1
    first = frozen(creds)
    second = None
    deadline = time.monotonic() + patience
    # botocore refreshes credentials that expire within 15 minutes on every
    # access, so each call asks the endpoint again.
    while time.monotonic() < deadline:
        current = frozen(creds)
        if current["access_key"] != first["access_key"]:
            second = current
            break
        time.sleep(0.2)
    print(json.dumps({
        "method": creds.method,
        "region": session.region_name,
        "first": first,
        "second": second,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
