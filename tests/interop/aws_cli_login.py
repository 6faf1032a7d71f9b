"""Log in to an sso-session the way `aws sso login --use-device-code` (AWS CLI
v2) does, with botocore's sso-oidc client, and cache the token and the client
registration in the AWS CLI v2 format and place (~/.aws/sso/cache).

Used by ssocred's end-to-end tests to check that ssocred uses a login the AWS
CLI made: its token, its refresh fields and its registration. The rules below
follow the AWS CLI v2 source (awscli/botocore/utils.py SSOTokenFetcher and
awscli/customizations/sso/utils.py):

- token file: sha1 of the sso-session name, `.json`;
- registration file: sha1 of json.dumps({"tool": "botocore", "startUrl",
  "region", "scopes", "session_name"}, sort_keys=True), `.json`, holding
  clientId, clientSecret, expiresAt and (when configured) scopes;
- timestamps written '%Y-%m-%dT%H:%M:%SZ'.

The "browser" is played by fetching verificationUriComplete, which the SSO
emulator treats as the user approving the request.

Usage: aws_cli_login.py SESSION_NAME START_URL REGION [SCOPES,...]
Endpoint: AWS_ENDPOINT_URL_SSO_OIDC, read by botocore itself.
"""
import datetime
import hashlib
import json
import os
import sys
import time
import urllib.request

import botocore.session
from botocore import UNSIGNED
from botocore.config import Config


def cache_dir():
    return os.path.expanduser(os.path.join("~", ".aws", "sso", "cache"))


def write_json(name, value):
    os.makedirs(cache_dir(), exist_ok=True)
    path = os.path.join(cache_dir(), name + ".json")
    with open(path, "w") as f:
        f.write(json.dumps(value, default=lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")))
    os.chmod(path, 0o600)
    return path


def main() -> int:
    session_name, start_url, region = sys.argv[1:4]
    scopes = None
    if len(sys.argv) > 4:
        scopes = [s.strip() for s in sys.argv[4].split(",") if s.strip()]
    now = datetime.datetime.now(datetime.timezone.utc)

    client = botocore.session.Session().create_client(
        "sso-oidc",
        config=Config(region_name=region, signature_version=UNSIGNED),
    )
    register = {"clientName": f"botocore-client-{session_name}", "clientType": "public"}
    if scopes:
        register["scopes"] = scopes
    reg = client.register_client(**register)
    registration = {
        "clientId": reg["clientId"],
        "clientSecret": reg["clientSecret"],
        "expiresAt": datetime.datetime.fromtimestamp(
            reg["clientSecretExpiresAt"], datetime.timezone.utc
        ),
    }
    if scopes:
        registration["scopes"] = scopes
    key_args = {
        "tool": "botocore",
        "startUrl": start_url,
        "region": region,
        "scopes": scopes,
        "session_name": session_name,
    }
    reg_key = hashlib.sha1(json.dumps(key_args, sort_keys=True).encode("utf-8")).hexdigest()
    write_json(reg_key, registration)

    auth = client.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=start_url
    )
    with urllib.request.urlopen(auth["verificationUriComplete"]) as page:
        page.read()
    interval = auth.get("interval", 5)
    while True:
        try:
            response = client.create_token(
                grantType="urn:ietf:params:oauth:grant-type:device_code",
                clientId=reg["clientId"],
                clientSecret=reg["clientSecret"],
                deviceCode=auth["deviceCode"],
            )
            break
        except client.exceptions.AuthorizationPendingException:
            time.sleep(interval)
        except client.exceptions.SlowDownException:
            interval += 5
            time.sleep(interval)
    token = {
        "startUrl": start_url,
        "region": region,
        "accessToken": response["accessToken"],
        "expiresAt": now + datetime.timedelta(seconds=response["expiresIn"]),
        "clientId": registration["clientId"],
        "clientSecret": registration["clientSecret"],
        "registrationExpiresAt": registration["expiresAt"],
    }
    if "refreshToken" in response:
        token["refreshToken"] = response["refreshToken"]
    token_key = hashlib.sha1(session_name.encode("utf-8")).hexdigest()
    path = write_json(token_key, token)
    print(json.dumps({"token_file": path, "registration_file": reg_key + ".json"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
