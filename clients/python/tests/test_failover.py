"""A server stopping under load: the client must not lose calls (retry of UNAVAILABLE, reconnect to another server)."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest
from conftest import start_server

from bertig_client import BertIgError, Client, Retry

TEXTS = ("I loved this film, it was wonderful.", "A dull, boring and awful waste of time.")
CALLERS = 16


def test_predict_in_a_closed_loop_loses_no_call_when_its_server_stops_gracefully(server_address: str) -> None:
    # Two servers under one target, as a dns:/// name of a headless Service with two pods gives them; pick_first
    # connects to the first, the server started here. While 16 callers keep calling, it is stopped with SIGTERM: it
    # answers UNAVAILABLE while it drains, then closes the connection (GOAWAY). The client must retry those calls and
    # reconnect to the other server (the session's).
    with contextlib.ExitStack() as stopping:
        first = stopping.enter_context(start_server())
        # A list target's default :authority is the whole list, which Kestrel refuses; a DNS name has none of that.
        with Client(f"ipv4:{first},{server_address}", timeout=30,
                    channel_options=[("grpc.default_authority", "localhost")]) as client:
            expected = {text: client.predict(text)[0].label for text in TEXTS}
            assert list(expected.values()) == ["positive", "negative"]

            lock = threading.Lock()
            counts = {"ok": 0, "after_stop": 0}
            failures: list[str] = []
            stopped = threading.Event()
            started = time.monotonic()

            def caller(offset: int) -> None:
                i = offset
                while not (stopped.is_set() and counts["after_stop"] >= 40) and time.monotonic() - started < 60:
                    text = TEXTS[i % len(TEXTS)]
                    i += 1
                    try:
                        label = client.predict(text)[0].label
                    except BertIgError as error:
                        with lock:
                            failures.append(str(error))
                        continue
                    with lock:
                        if label != expected[text]:
                            failures.append(f"{text!r}: {label}, expected {expected[text]}")
                            continue
                        counts["ok"] += 1
                        if stopped.is_set():
                            counts["after_stop"] += 1

            threads = [threading.Thread(target=caller, args=(n,)) for n in range(CALLERS)]
            for thread in threads:
                thread.start()
            try:
                while counts["ok"] < 40 and time.monotonic() - started < 60:
                    time.sleep(0.02)
                stopping.close()  # SIGTERM to the first server; returns once it has exited
            finally:
                stopped.set()
                for thread in threads:
                    thread.join()

    print(f"{counts['ok']} calls answered, {len(failures)} failed")
    assert failures == [], f"{len(failures)} of {counts['ok'] + len(failures)} calls failed: {failures[:5]}"
    assert counts["after_stop"] >= 40, f"only {counts['after_stop']} calls answered after the stop"


def test_retry_settings_outside_grpcs_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        Retry(max_attempts=6)  # gRPC would quietly cap it at 5
    with pytest.raises(ValueError, match="initial_backoff"):
        Retry(initial_backoff=2.0, max_backoff=1.0)
    assert Retry(max_attempts=1).channel_options() == []  # no retry policy at all
