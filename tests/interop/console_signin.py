"""Follows a console sign-in URL (argv[1]) with requests, as a browser
would: redirects followed, cookies kept. Prints JSON: {"status", "body",
"visited"}, the final status, the final page and every URL requested."""
import json
import sys

import requests

with requests.Session() as session:
    response = session.get(sys.argv[1], timeout=30)
visited = [r.url for r in response.history] + [response.url]
print(json.dumps({"status": response.status_code, "body": response.text, "visited": visited}))
