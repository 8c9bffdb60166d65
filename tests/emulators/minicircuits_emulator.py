#!/usr/bin/python3
"""Emulates the Ethernet interface of a Mini-Circuits programmable attenuator (RCDAT/RUDAT, or a
4-channel RC4DAT with --channels 4) on 127.0.0.1: HTTP GET with the command in the path, one
request per connection, the connection closed after the answer.

What the device does, from code that has driven real ones (not from lockrig's driver):
  - `/:MN?` and `/MN?` answer "MN=<model>", `/:SN?` "SN=<serial>": ACTS
    (msft-mirror-aosp/platform.tools.test.connectivity 01b83b8f3)
    acts/framework/acts/controllers/attenuator_lib/minicircuits/http.py:58-69 asks `/MN?` and
    requires the "MN=" prefix; lantz-style drivers strip the first three characters of both.
  - `/:SETATT=<dB>` answers "1" once the level is set (ACTS http.py:117 refuses anything else;
    analogdevicesinc/msdk Tools/Bluetooth/mini_RCDAT_USB.py:118-129 the same over USB);
    `/:ATT?` answers the level as a number (ACTS http.py:138-149 parses it with float()).
    A multi-channel model takes `/CHAN:n:SETATT:<dB>` and `/CHAN:n:ATT?` (http.py:113,139).
  - The command is read from the raw path, "?" included; text after a second "?" (a query
    string a client library adds) is ignored (acidbourbon/lab_bench f85a7d2
    workdir/python_modules/mini_circuits_rcdat.py:37-43 relies on both).
  - Whether the body ends in CR LF differs: ACTS at 01b83b8f3 compares the SETATT answer with
    "1" exactly (http.py:116-117), so that unit sent none; a later ACTS strips the answer, and
    lab_bench removes CR and LF (mini_circuits_rcdat.py:51-52). --crlf adds them.
  - An unknown command answers "-99 Unrecognized Command. MN:<model>"
    (mini_circuits_rcdat.py:15-16).
  - Commands are SCPI: the leading colon is optional and case does not matter.
The device's range is the third field of its model name (ACTS http.py:68-69) in 0.25 dB steps
(the USB report's quarter-dB field; usnistgov/ssmdevices attenuators.py:57-85). A level above the
range is refused with "0": no source says what a real one answers then.

Which HTTP headers a real unit sends is in none of these sources (urllib and requests accept any);
by default the emulator sends a status line, Content-Type and no Content-Length, so the end of
the answer is the close; --content-length adds the header, and --keep-open keeps the connection
open after the answer until the client closes it (as an HTTP/1.1 server that ignores the client's
HTTP/1.0 might).

With --telnet the same commands come as lines on one connection (the device's Telnet port, 23):
each command ends in CR LF and is answered with one line ending in CR LF (ACTS
acts/framework/acts/controllers/attenuator_lib/minicircuits/telnet.py:44 sends and expects CR LF;
_tnhelper.py:102-135 reads one line per command).

Fault knobs: --readback-offset DB (ATT? answers the level plus DB, as a unit whose level another
controller changed), --refuse-set (SETATT answers "0"), --stop-after N (from request N+1 on, the
connection is accepted and closed without an answer).
--state keeps a JSON picture (levels per channel, counters) that tests read; --log lists requests.
Standard library only; run with /usr/bin/python3.
"""

import argparse
import json
import os
import re
import signal
import socket
import sys


def level_text(v):
    return f"{v:.2f}".rstrip("0").rstrip(".")


class Attenuator:
    def __init__(self, args):
        self.args = args
        self.levels = [args.initial] * args.channels
        self.max_db = float(re.match(r"[^-]+-[^-]+-([0-9.]+)", args.model).group(1))
        self.requests = 0
        self.sets = 0
        self.unknown = 0
        self.history = []  # levels set, in order, per channel "n:level"
        self.log = open(args.log, "a", buffering=1) if args.log else None

    def answer(self, path):
        """The body for one request path, e.g. "/:SETATT=42.25"."""
        command = path[1:] if path.startswith("/") else path
        # Text after a second "?" is a client's query string: not part of the command.
        first = command.find("?")
        if first >= 0:
            command = command[:first + 1]
        upper = command.lstrip(":").upper()
        if upper == "MN?":
            return "MN=" + self.args.model
        if upper == "SN?":
            return "SN=" + self.args.serial
        m = re.fullmatch(r"(?:CHAN:([1-4]):)?ATT\?", upper)
        if m:
            channel = int(m.group(1) or 1)
            if channel > self.args.channels:
                return self.unrecognized()
            if not m.group(1) and self.args.channels > 1:
                return " ".join(level_text(v + self.args.readback_offset) for v in self.levels)
            return level_text(self.levels[channel - 1] + self.args.readback_offset)
        m = re.fullmatch(r"SETATT=([0-9.]+)", upper) or \
            re.fullmatch(r"CHAN:([1-4]):SETATT[:=]([0-9.]+)", upper)
        if m:
            channel = int(m.group(1)) if m.lastindex == 2 else 1
            value = float(m.group(m.lastindex))
            if channel > self.args.channels:
                return self.unrecognized()
            if self.args.refuse_set or value > self.max_db:
                return "0"
            self.levels[channel - 1] = round(value * 4) / 4
            self.sets += 1
            self.history.append(f"{channel}:{level_text(self.levels[channel - 1])}")
            return "1"
        return self.unrecognized()

    def unrecognized(self):
        self.unknown += 1
        return "-99 Unrecognized Command. MN:" + self.args.model

    def write_state(self):
        if not self.args.state:
            return
        data = {
            "model": self.args.model,
            "serial": self.args.serial,
            "attenuation": self.levels[0],
            "levels": self.levels,
            "requests": self.requests,
            "sets": self.sets,
            "unknown": self.unknown,
            "history": self.history,
            "pid": os.getpid(),
        }
        tmp = self.args.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, self.args.state)

    def serve_telnet(self, conn):
        conn.settimeout(30)
        data = b""
        while True:
            while b"\r\n" not in data:
                chunk = conn.recv(1024)
                if not chunk:
                    return
                data += chunk
            line, data = data.split(b"\r\n", 1)
            self.requests += 1
            text = line.decode("latin-1")
            if self.log:
                self.log.write(f"{text}\n")
            if self.args.stop_after is not None and self.requests > self.args.stop_after:
                self.write_state()
                return
            answer = self.answer(text)
            self.write_state()  # before answering: a test reads it as soon as the answer is in
            conn.sendall((answer + "\r\n").encode("ascii"))

    def serve(self, conn):
        if self.args.telnet:
            return self.serve_telnet(conn)
        conn.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 8192:
            chunk = conn.recv(1024)
            if not chunk:
                return
            data += chunk
        self.requests += 1
        line = data.split(b"\r\n", 1)[0].decode("latin-1")
        if self.log:
            self.log.write(f"{line}\n")
        if self.args.stop_after is not None and self.requests > self.args.stop_after:
            self.write_state()
            return
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "GET" or not parts[2].startswith("HTTP/"):
            conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
            self.write_state()
            return
        body = (self.answer(parts[1]) + ("\r\n" if self.args.crlf else "")).encode("ascii")
        head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
        if self.args.content_length:
            head += f"Content-Length: {len(body)}\r\n"
        head += "Connection: close\r\n\r\n"
        self.write_state()  # before answering: a test reads it as soon as the answer is in
        conn.sendall(head.encode("ascii") + body)
        if self.args.keep_open:
            conn.settimeout(30)
            while conn.recv(1024):
                pass


def main():
    p = argparse.ArgumentParser(description="Emulates a Mini-Circuits attenuator's HTTP interface.")
    p.add_argument("--tcp", type=int, required=True, metavar="PORT", help="0: any free port")
    p.add_argument("--port-file", help="file to write the port listened on to")
    p.add_argument("--state", help="JSON file rewritten after every request")
    p.add_argument("--log", help="file the request lines are appended to")
    p.add_argument("--model", default="RCDAT-6000-90")
    p.add_argument("--serial", default="11604210008")
    p.add_argument("--channels", type=int, default=1, choices=[1, 2, 4])
    p.add_argument("--initial", type=float, default=0.0, help="level at power-up")
    p.add_argument("--readback-offset", type=float, default=0.0, metavar="DB")
    p.add_argument("--refuse-set", action="store_true")
    p.add_argument("--stop-after", type=int, metavar="N")
    p.add_argument("--content-length", action="store_true")
    p.add_argument("--crlf", action="store_true", help="end every answer in CR LF")
    p.add_argument("--telnet", action="store_true",
                   help="the Telnet interface: CR LF lines on one connection instead of HTTP")
    p.add_argument("--keep-open", action="store_true",
                   help="after answering, keep the connection until the client closes it")
    args = p.parse_args()

    device = Attenuator(args)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.tcp))
    listener.listen(8)

    def stop(signum, frame):
        device.write_state()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    device.write_state()
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(listener.getsockname()[1]))
        os.replace(tmp, args.port_file)
    while True:
        conn, _ = listener.accept()
        try:
            device.serve(conn)
        except OSError:
            pass
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()


if __name__ == "__main__":
    main()
