#!/usr/bin/env python3
"""How long `GET /api/v1/me/export` takes for someone who wrote many posts, against a plain
baseline in the same run: Python's sqlite3 reading the same posts and writing them as JSON.

    python3 bench/export_bench.py target/release/roundtable 20000 [runs]

Starts the server on a fresh SQLite database in a temporary folder, adds one chief officer,
one thread and N posts of about 1 KB by them (straight into the database, as an import
would), then times the export and the baseline `runs` times each (5 by default) and prints
the medians and their ratio.
"""
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

PASSWORD = "a long bench password"


def run(binary, env, *args):
    out = subprocess.run([binary, *args], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(args)}: {out.stderr}")
    return out.stdout


def call(base, path, token=None, body=None, method=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as res:
        return res.read()


def main():
    binary, n = sys.argv[1], int(sys.argv[2])
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    data = tempfile.mkdtemp(prefix="export-bench-")
    db_path = os.path.join(data, "roundtable.db")
    env = dict(
        os.environ,
        ROUNDTABLE__DATA_DIR=data,
        ROUNDTABLE__DATABASE__URL=f"sqlite://{db_path}?mode=rwc",
        ROUNDTABLE__SERVER__BIND="127.0.0.1:0",
        ROUNDTABLE__LOG__LEVEL="error",
        ROUNDTABLE__DIGEST__SCHEDULER="false",
        ROUNDTABLE_PASSWORD=PASSWORD,
    )
    run(binary, env, "org", "add", "--name", "Kent Police", "--kind", "force")
    email = "chief@kent.example"
    run(binary, env, "user", "add", "--email", email, "--name", "Chief", "--org",
        "Kent Police", "--role", "chief_officer")
    run(binary, env, "space", "add", "--slug", "bench", "--name", "Bench", "--read-roles",
        "chief_officer", "--post-roles", "chief_officer")
    server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        base = None
        for line in server.stdout:
            if line.startswith("Roundtable listening on "):
                base = line.split("listening on ", 1)[1].strip()
                break
        token = json.loads(call(base, "/api/v1/auth/login",
                                body={"email": email, "password": PASSWORD}))["access_token"]
        created = json.loads(call(base, "/api/v1/spaces/bench/threads", token,
                                  {"title": "Bench thread", "body": "Opening post",
                                   "tags": [], "marking": "OFFICIAL"}))
        thread = created["id"]
        body = ("Lessons from moving custody records to the cloud, with costs. " * 16)[:1000]
        with sqlite3.connect(db_path) as con:
            me = con.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()[0]
            con.executemany(
                "INSERT INTO posts (thread_id, parent_id, author_id, body_markdown, body_html, "
                "created_at, body_text, depth) VALUES (?, NULL, ?, ?, ?, "
                "'2026-11-01 10:00:00+00:00', ?, 1)",
                [(thread, me, f"{body} {i}", f"<p>{body} {i}</p>", f"{body} {i}")
                 for i in range(n)])
        exported, baseline, size = [], [], 0
        for _ in range(runs):
            start = time.perf_counter()
            size = len(call(base, "/api/v1/me/export", token))
            exported.append(time.perf_counter() - start)
            start = time.perf_counter()
            with sqlite3.connect(db_path) as con:
                rows = con.execute(
                    "SELECT id, thread_id, parent_id, body_markdown, created_at, edited_at, "
                    "deleted_at, deleted_by FROM posts WHERE author_id = ? ORDER BY id",
                    (me,)).fetchall()
            json.dumps([dict(zip(["id", "thread_id", "parent_id", "body_markdown",
                                  "created_at", "edited_at", "deleted_at", "deleted_by"], r))
                        for r in rows])
            baseline.append(time.perf_counter() - start)
        ours, plain = statistics.median(exported), statistics.median(baseline)
        print(f"posts: {n + 1}, export: {size / 1e6:.1f} MB, runs: {runs}")
        print(f"export median {ours * 1000:.0f} ms (runs: "
              f"{', '.join(f'{t * 1000:.0f}' for t in exported)})")
        print(f"baseline (sqlite3 + json) median {plain * 1000:.0f} ms")
        print(f"ratio export / baseline: {ours / plain:.2f}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
