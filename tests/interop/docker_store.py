"""Asks docker-py's credential store for the helper `ssocred`
(docker.credentials.Store, which runs `docker-credential-ssocred` from PATH
as Docker does) for each server URL in argv[1:], and prints what it got as
JSON: {"URL": {"Username", "Secret"}} for credentials, {"URL": "not found"}
when the store raised CredentialsNotFound. Any other error fails the script."""
import json
import sys

from docker.credentials import Store, errors

store = Store("ssocred")
answers = {}
for url in sys.argv[1:]:
    try:
        got = store.get(url)
        answers[url] = {"Username": got["Username"], "Secret": got["Secret"]}
    except errors.CredentialsNotFound:
        answers[url] = "not found"
print(json.dumps(answers))
