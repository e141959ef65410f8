"""Sample rows for the demo database (stdlib only): 200 users and 500 orders."""

import sqlite3
import sys

with sqlite3.connect(sys.argv[1]) as db:
    db.executemany("INSERT INTO users (id, email, name, plan_id) VALUES (?, ?, ?, ?)",
                   [(i, f"user{i}@example.com", f"User {i}", 1 + i % 3) for i in range(1, 201)])
    db.executemany("INSERT INTO orders (id, user_id, total_cents) VALUES (?, ?, ?)",
                   [(i, 1 + i % 200, 100 + i * 7) for i in range(1, 501)])
print("seeded 200 users and 500 orders")
