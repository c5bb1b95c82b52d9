#!/usr/bin/env python3
"""A minimal SIP callee over UDP, for capturing the SDP offers of real phones and for checking
how they take our answers. Not part of the build: the fixtures next to it were captured with it.

  fake_callee.py ADDR PORT OUTDIR [--answer FILE] [--hold SECONDS]

Every INVITE body is written to OUTDIR/offer-<n>.sdp. Without --answer the INVITE is refused
with 488 after the body is saved; with --answer the file's SDP is sent in a 200 OK (CRLF line ends
enforced), then the ACK is awaited and the call is held for --hold seconds before a BYE."""
import socket
import sys
import time
import argparse
import random

parser = argparse.ArgumentParser()
parser.add_argument("addr")
parser.add_argument("port", type=int)
parser.add_argument("outdir")
parser.add_argument("--answer")
parser.add_argument("--hold", type=float, default=3.0)
parser.add_argument("--count", type=int, default=1, help="INVITEs to take before exiting")
args = parser.parse_args()

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((args.addr, args.port))
sock.settimeout(30)


def parse(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return lines[0], headers, body


def header(headers, *names):
    for name, value in headers:
        if name.lower() in names:
            return value
    return None


def response(status, headers, to_tag, body=b"", extra=()):
    out = [f"SIP/2.0 {status}"]
    for name, value in headers:
        if name.lower() in ("via", "v"):
            out.append(f"Via: {value}")
    out.append(f"From: {header(headers, 'from', 'f')}")
    to = header(headers, "to", "t")
    if ";tag=" not in to:
        to += f";tag={to_tag}"
    out.append(f"To: {to}")
    out.append(f"Call-ID: {header(headers, 'call-id', 'i')}")
    out.append(f"CSeq: {header(headers, 'cseq')}")
    out.extend(extra)
    if body:
        out.append("Content-Type: application/sdp")
    out.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(out) + "\r\n\r\n").encode() + body


answer = None
if args.answer:
    with open(args.answer, "rb") as f:
        answer = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")

taken = 0
to_tag = "%08x" % random.getrandbits(32)
contact = f"Contact: <sip:callee@{args.addr}:{args.port}>"
dialog = None
while True:
    try:
        data, peer = sock.recvfrom(65535)
    except socket.timeout:
        print("timeout", flush=True)
        break
    start, headers, body = parse(data)
    method = start.split(" ")[0]
    print(f"<- {start} from {peer}", flush=True)
    if method == "INVITE":
        taken += 1
        with open(f"{args.outdir}/offer-{taken}.sdp", "wb") as f:
            f.write(body)
        sock.sendto(response("100 Trying", headers, to_tag), peer)
        if answer is None:
            sock.sendto(response("488 Not Acceptable Here", headers, to_tag), peer)
        else:
            sock.sendto(response("200 OK", headers, to_tag, answer, [contact]), peer)
            dialog = (headers, peer)
    elif method == "ACK":
        print("ACK received: call established at the phone", flush=True)
        if answer is not None:
            time.sleep(args.hold)
            h, p = dialog
            frm = header(h, "from", "f")
            to = header(h, "to", "t") + f";tag={to_tag}"
            contact_uri = header(h, "contact", "m").strip("<>").split(">")[0]
            bye = (f"BYE {contact_uri} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP {args.addr}:{args.port};branch=z9hG4bK{random.getrandbits(32):x}\r\n"
                   f"Max-Forwards: 70\r\nFrom: {to}\r\nTo: {frm}\r\n"
                   f"Call-ID: {header(h, 'call-id', 'i')}\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n")
            sock.sendto(bye.encode(), p)
            print("-> BYE", flush=True)
        if taken >= args.count:
            if answer is None:
                break
    elif method == "BYE":
        sock.sendto(response("200 OK", headers, to_tag), peer)
        print("BYE from the phone (it ended the call)", flush=True)
        if taken >= args.count:
            break
    elif method.startswith("SIP/2.0"):
        print(f"   response {start}", flush=True)
        if taken >= args.count and answer is not None:
            break
    elif method in ("OPTIONS", "REGISTER"):
        sock.sendto(response("200 OK", headers, to_tag), peer)
    elif method == "CANCEL":
        sock.sendto(response("200 OK", headers, to_tag), peer)
