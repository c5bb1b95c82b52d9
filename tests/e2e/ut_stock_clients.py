#!/usr/bin/env python3
"""The Ut API (call forwarding) through Python's standard library only, as a simple client
would use it (issue 11 item 10).

  ut_stock_clients.py urllib BASE_URL NUMBER PASSWORD
      urllib.request.HTTPDigestAuthHandler: PUT, GET, DELETE, GET of the unconditional rule.
      That handler reads only the FIRST WWW-Authenticate header and knows MD5 and SHA-1, not
      SHA-256: it works only when the server offers MD5 first.
  ut_stock_clients.py sha256 BASE_URL NUMBER PASSWORD
      http.client with a hand-computed RFC 7616 SHA-256 response to the server's SHA-256
      challenge: the server still accepts SHA-256 when it offers MD5 first.

Prints one line per step ("PUT 201", "GET 200 {...}") and exits 0 when every step got the
status the README promises; else prints what went wrong and exits 1.
"""
import hashlib
import http.client
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request


def path_of(number):
    return "/ut/v1/users/%s/forwarding/unconditional" % number


def with_urllib(base_url, number, password):
    url = base_url + path_of(number)
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, base_url, number, password)
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))

    def call(method, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    steps = [("PUT", {"target": "777"}, 201), ("GET", None, 200), ("PUT", {"target": "778"}, 200),
             ("DELETE", None, 204), ("GET", None, 404)]
    for method, body, expected in steps:
        status, text = call(method, body)
        print(method, status, text.strip())
        if status != expected:
            print("expected %d for %s" % (expected, method))
            return 1
        if method == "GET" and status == 200 and json.loads(text) != {"target": "777"}:
            print("the rule read back is not the one put")
            return 1
    return 0


def with_sha256(base_url, number, password):
    parsed = urllib.parse.urlsplit(base_url)
    path = path_of(number)
    body = json.dumps({"target": "777"})

    def request(headers):
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        connection.request("PUT", path, body=body,
                           headers=dict(headers, **{"Content-Type": "application/json"}))
        response = connection.getresponse()
        text = response.read().decode()
        challenges = response.headers.get_all("WWW-Authenticate") or []
        connection.close()
        return response.status, text, challenges

    status, _, challenges = request({})
    print("PUT", status, "challenges:", challenges)
    if status != 401 or not challenges:
        return 1
    if "algorithm=MD5" not in challenges[0]:
        print("the first challenge is not MD5")
        return 1
    sha = [c for c in challenges if "algorithm=SHA-256" in c]
    if not sha:
        print("no SHA-256 challenge")
        return 1
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', sha[0]))
    realm, nonce = params["realm"], params["nonce"]

    def h(text):
        return hashlib.sha256(text.encode()).hexdigest()

    cnonce, nc = os.urandom(8).hex(), "00000001"
    ha1 = h("%s:%s:%s" % (number, realm, password))
    ha2 = h("PUT:%s" % path)
    response = h("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2))
    authorization = ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                     'algorithm=SHA-256, qop=auth, nc=%s, cnonce="%s", response="%s"' %
                     (number, realm, nonce, path, nc, cnonce, response))
    status, text, _ = request({"Authorization": authorization})
    print("PUT (SHA-256)", status, text.strip())
    return 0 if status in (200, 201) else 1


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("urllib", "sha256"):
        print(__doc__)
        return 2
    mode, base_url, number, password = sys.argv[1:]
    return (with_urllib if mode == "urllib" else with_sha256)(base_url, number, password)


if __name__ == "__main__":
    sys.exit(main())
