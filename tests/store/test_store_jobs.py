"""Jobs: lifecycle, finish rules, cancellation, tenant isolation, safe claiming, crash resume."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from store_support import Run, run_on

from argus.store import jobs
from argus.store.db import Database
from argus.store.jobs import ItemInput
from argus.store.tables import Job, utcnow

FILES = [ItemInput("a.jpg", "/blobs/a.jpg"), ItemInput("b.png", "/blobs/b.png")]


def test_a_job_runs_from_pending_to_completed(run: Run) -> None:
    async def body(db: Database) -> tuple[Any, ...]:
        created = await jobs.create(
            db,
            tenant="acme",
            kind="anonymize",
            items=FILES,
            options={"method": "blur"},
            webhook_url="http://hooks.local/done",
        )
        claimed = await jobs.claim(db, job_id=created.id, worker="w1")
        again = await jobs.claim(db, job_id=created.id, worker="w2")
        assert await jobs.mark_item_running(db, job_id=created.id, index=0)
        assert await jobs.mark_item_completed(
            db, job_id=created.id, index=0, output={"url": "/out/a.webp"}
        )
        assert not await jobs.mark_item_completed(db, job_id=created.id, index=0, output={})
        assert await jobs.mark_item_failed(db, job_id=created.id, index=1, error="truncated")
        status = await jobs.finish(db, job_id=created.id)
        return created, claimed, again, status, await jobs.get(db, job_id=created.id, tenant="acme")

    created, claimed, again, status, done = run(body)
    assert created.status == "pending" and len(created.id) == 36
    assert [(i.index, i.input_name, i.status) for i in created.items] == [
        (0, "a.jpg", "pending"),
        (1, "b.png", "pending"),
    ]
    assert claimed is not None and claimed.status == "running" and claimed.worker == "w1"
    assert claimed.attempts == 1 and claimed.started_at is not None
    assert again is None
    assert status == "completed"  # one item completed is enough (seed 002)
    assert done is not None
    assert (done.status, done.progress_done, done.progress_total) == ("completed", 2, 2)
    assert done.options == {"method": "blur"}
    assert done.webhook_url == "http://hooks.local/done"
    assert done.finished_at is not None and done.finished_at >= done.created_at
    first, second = done.items
    assert (first.status, first.output, first.error) == ("completed", {"url": "/out/a.webp"}, None)
    assert (second.status, second.output, second.error) == ("failed", None, "truncated")
    assert first.started_at is not None and first.finished_at is not None


def test_finish_rules(run: Run) -> None:
    async def body(db: Database) -> list[Any]:
        all_failed = await jobs.create(db, tenant="t", kind="k", items=FILES)
        for index in (0, 1):
            await jobs.mark_item_failed(db, job_id=all_failed.id, index=index, error="unreadable")
        empty = await jobs.create(db, tenant="t", kind="k")
        crashed = await jobs.create(db, tenant="t", kind="k", items=FILES)
        await jobs.mark_item_completed(db, job_id=crashed.id, index=0, output=1)
        return [
            await jobs.finish(db, job_id=all_failed.id),
            await jobs.get(db, job_id=all_failed.id, tenant="t"),
            await jobs.finish(db, job_id=empty.id),
            await jobs.finish(db, job_id=crashed.id, error="worker lost the model"),
            await jobs.get(db, job_id=crashed.id, tenant="t"),
            await jobs.finish(db, job_id="no-such-job"),
        ]

    failed, failed_job, empty, crashed, crashed_job, missing = run(body)
    assert failed == "failed"
    assert failed_job.error == "2 of 2 items failed; first error: unreadable"
    assert empty == "completed"  # no inputs: completed with no results (seed 002)
    assert crashed == "failed" and crashed_job.error == "worker lost the model"
    assert missing is None


def test_cancel_stops_a_job_and_finish_keeps_it_cancelled(run: Run) -> None:
    async def body(db: Database) -> list[Any]:
        job = await jobs.create(db, tenant="acme", kind="k", items=FILES)
        await jobs.claim(db, job_id=job.id)
        await jobs.mark_item_completed(db, job_id=job.id, index=0, output="ok")
        return [
            await jobs.cancel(db, job_id=job.id, tenant="globex"),
            await jobs.cancel(db, job_id=job.id, tenant="acme"),
            await jobs.cancel(db, job_id=job.id, tenant="acme"),
            await jobs.mark_item_completed(db, job_id=job.id, index=1, output="late"),
            await jobs.finish(db, job_id=job.id),
            await jobs.get(db, job_id=job.id, tenant=None),
        ]

    other_tenant, cancelled, twice, late, finished, job = run(body)
    assert (other_tenant, cancelled, twice, late) == (False, True, False, False)
    assert finished == "cancelled"
    assert job.status == "cancelled" and job.finished
    assert [i.status for i in job.items] == ["completed", "cancelled"]


def test_tenants_cannot_see_each_others_jobs(run: Run) -> None:
    async def body(db: Database) -> list[Any]:
        mine = await jobs.create(db, tenant="acme", kind="anonymize", items=FILES[:1])
        await jobs.create(db, tenant="globex", kind="anonymize")
        return [
            await jobs.get(db, job_id=mine.id, tenant="globex"),
            await jobs.get(db, job_id=mine.id, tenant="acme"),
            await jobs.list_jobs(db, tenant="globex"),
            await jobs.list_jobs(db, tenant="acme", status="pending"),
            await jobs.list_jobs(db, tenant="acme", status=["completed", "failed"]),
            await jobs.list_jobs(db, tenant=None),
            await jobs.count_by_status(db, tenant="acme"),
        ]

    hidden, seen, globex, acme_pending, acme_done, every, counts = run(body)
    assert hidden is None
    assert seen is not None and seen.tenant == "acme"
    assert [j.tenant for j in globex] == ["globex"]
    assert [j.id for j in acme_pending] == [seen.id]
    assert acme_done == []
    assert [j.tenant for j in every] == ["globex", "acme"]  # newest first
    assert counts == {"pending": 1, "running": 0, "completed": 0, "failed": 0, "cancelled": 0}


def test_two_workers_never_claim_the_same_job(db_url: str) -> None:
    count = 24

    async def claimer(db: Database, name: str) -> list[str]:
        taken = []
        while (job := await jobs.claim_next(db, worker=name)) is not None:
            assert job.worker == name and job.status == "running"
            taken.append(job.id)
            await asyncio.sleep(0)
        return taken

    async def body(db: Database) -> tuple[set[str], list[list[str]], Job | None]:
        created = {(await jobs.create(db, tenant="t", kind="k")).id for _ in range(count)}
        second = Database(db_url)  # another "process": its own engine and pool
        try:
            results = await asyncio.gather(
                claimer(db, "a1"), claimer(db, "a2"), claimer(second, "b1"), claimer(second, "b2")
            )
        finally:
            await second.dispose()
        return created, list(results), await jobs.claim_next(db)

    created, results, leftover = run_on(db_url, body)
    taken = [job_id for result in results for job_id in result]
    assert len(taken) == len(set(taken)) == count
    assert set(taken) == created
    assert leftover is None


def test_claim_next_takes_the_oldest_of_the_asked_kinds(run: Run) -> None:
    async def body(db: Database) -> list[Any]:
        old = await jobs.create(db, tenant="t", kind="video")
        await jobs.create(db, tenant="t", kind="batch")
        new = await jobs.create(db, tenant="t", kind="video")
        return [
            await jobs.claim_next(db, kinds=["video"]),
            await jobs.claim_next(db, kinds=["video"]),
            await jobs.claim_next(db, kinds=["video"]),
            old.id,
            new.id,
        ]

    first, second, none, old_id, new_id = run(body)
    assert (first.id, second.id, none) == (old_id, new_id, None)


def test_unfinished_jobs_are_found_and_resumed_after_a_crash(db_url: str) -> None:
    async def before_crash(db: Database) -> tuple[str, str, str]:
        running = await jobs.create(db, tenant="acme", kind="anonymize", items=FILES)
        await jobs.claim_next(db, worker="w1")
        await jobs.mark_item_completed(db, job_id=running.id, index=0, output="done")
        await jobs.mark_item_running(db, job_id=running.id, index=1)
        waiting = await jobs.create(db, tenant="globex", kind="anonymize")
        finished = await jobs.create(db, tenant="acme", kind="anonymize")
        await jobs.finish(db, job_id=finished.id)
        return running.id, waiting.id, finished.id
        # ... and the process dies here: its engine is never disposed by the worker.

    running_id, waiting_id, _ = run_on(db_url, before_crash)

    async def after_restart(db: Database) -> tuple[Any, ...]:
        left = await jobs.unfinished(db)
        assert await jobs.requeue(db, job_id=running_id)
        assert not await jobs.requeue(db, job_id=waiting_id)  # it was never started
        resumed = await jobs.claim_next(db, worker="w2")
        assert resumed is not None
        await jobs.mark_item_completed(db, job_id=resumed.id, index=1, output="done too")
        status = await jobs.finish(db, job_id=resumed.id)
        return left, resumed, status, await jobs.get(db, job_id=running_id, tenant="acme")

    left, resumed, status, done = run_on(db_url, after_restart)
    assert [(j.id, j.status) for j in left] == [(running_id, "running"), (waiting_id, "pending")]
    assert [i.status for i in left[0].items] == ["completed", "running"]
    assert resumed.id == running_id and resumed.attempts == 2 and resumed.worker == "w2"
    assert [i.status for i in resumed.items] == ["completed", "pending"]
    assert status == "completed"
    assert [i.output for i in done.items] == ["done", "done too"]
    assert done.progress_done == 2


def test_progress_and_pruning(run: Run) -> None:
    async def body(db: Database) -> list[Any]:
        video = await jobs.create(db, tenant="t", kind="video")
        await jobs.update_progress(db, job_id=video.id, done=30, total=120)
        halfway = await jobs.get(db, job_id=video.id, tenant="t")
        await jobs.finish(db, job_id=video.id)
        batch = await jobs.create(db, tenant="t", kind="batch", items=FILES)
        await jobs.finish(db, job_id=batch.id, error="boom")
        live = await jobs.create(db, tenant="t", kind="batch", items=FILES)
        later = utcnow() + timedelta(days=3)
        return [
            halfway,
            await jobs.prune(db, max_age_s=86400),
            sorted(await jobs.prune(db, max_age_s=86400, now=later)),
            sorted([video.id, batch.id]),
            await jobs.get(db, job_id=batch.id, tenant=None),
            await jobs.get(db, job_id=live.id, tenant=None),
        ]

    halfway, too_young, pruned, expected, gone, live = run(body)
    assert (halfway.progress_done, halfway.progress_total) == (30, 120)
    assert too_young == []
    assert pruned == expected
    assert gone is None
    assert live is not None and len(live.items) == 2


def test_a_lapsed_lease_is_taken_over_and_the_old_attempt_is_fenced_out(run: Run) -> None:
    async def body(db: Database) -> list[Any]:
        job = await jobs.create(db, tenant="t", kind="k", items=FILES)
        first = await jobs.claim(db, job_id=job.id, worker="w@box:1", lease_s=60)
        assert first is not None
        busy = await jobs.claim(db, job_id=job.id, worker="w@box:1")  # same name: irrelevant
        assert await jobs.mark_item_running(db, job_id=job.id, index=0, attempt=1)
        assert await jobs.renew(db, job_id=job.id, attempt=1, lease_s=0)  # the last renewal
        second = await jobs.claim(db, job_id=job.id, worker="w@box:1", lease_s=60)
        assert second is not None
        refused = [
            await jobs.mark_item_completed(db, job_id=job.id, index=0, output="old", attempt=1),
            await jobs.mark_item_failed(db, job_id=job.id, index=1, error="old", attempt=1),
            await jobs.mark_item_running(db, job_id=job.id, index=1, attempt=1),
            await jobs.renew(db, job_id=job.id, attempt=1, lease_s=60),
            await jobs.requeue(db, job_id=job.id, attempt=1),
            await jobs.finish(db, job_id=job.id, attempt=1),
        ]
        assert await jobs.mark_item_running(db, job_id=job.id, index=0, attempt=2)
        assert await jobs.mark_item_completed(db, job_id=job.id, index=0, output="new", attempt=2)
        early = await jobs.finish(db, job_id=job.id, attempt=2)  # item 1 has no outcome yet
        still = await jobs.status_of(db, job_id=job.id)
        assert await jobs.mark_item_failed(db, job_id=job.id, index=1, error="bad", attempt=2)
        final = await jobs.finish(db, job_id=job.id, attempt=2)
        return [
            first.attempts,
            busy,
            second.attempts,
            [i.status for i in second.items],
            refused,
            early,
            still,
            final,
            await jobs.get(db, job_id=job.id, tenant=None),
        ]

    first, busy, second, reset, refused, early, still, final, done = run(body)
    assert (first, busy, second) == (1, None, 2)
    assert reset == ["pending", "pending"], "the lost attempt's item runs again"
    assert refused == [False, False, False, False, False, None]
    assert (early, still, final) == (None, "running", "completed")
    assert [(i.status, i.output, i.error, i.attempt) for i in done.items] == [
        ("completed", "new", None, 2),
        ("failed", None, "bad", 2),
    ]
    assert done.progress_done == 2 and done.lease_until is None


def test_lapsed_jobs_are_taken_back_or_abandoned_once(run: Run) -> None:
    async def body(db: Database) -> list[Any]:
        back = await jobs.create(db, tenant="t", kind="k", items=FILES)
        given_up = await jobs.create(db, tenant="t", kind="k", items=FILES)
        alive = await jobs.create(db, tenant="t", kind="k")
        await jobs.claim(db, job_id=back.id, lease_s=0)
        await jobs.mark_item_running(db, job_id=back.id, index=0, attempt=1)
        await jobs.claim(db, job_id=given_up.id, lease_s=0)
        await jobs.mark_item_completed(db, job_id=given_up.id, index=0, output=1, attempt=1)
        await jobs.claim(db, job_id=alive.id, lease_s=60)
        found = await jobs.lapsed(db)
        return [
            found,
            sorted([back.id, given_up.id]),
            await jobs.take_back(db, job_id=back.id, attempt=2),  # not that attempt
            await jobs.take_back(db, job_id=back.id, attempt=1),
            await jobs.take_back(db, job_id=back.id, attempt=1),  # another sweeper, later
            await jobs.abandon(db, job_id=given_up.id, attempt=1, error="gave up", item_error="x"),
            await jobs.abandon(db, job_id=given_up.id, attempt=1, error="again", item_error="y"),
            await jobs.lapsed(db),
            await jobs.get(db, job_id=back.id, tenant=None),
            await jobs.get(db, job_id=given_up.id, tenant=None),
        ]

    found, expected, wrong, taken, twice, abandoned, again, left, back, given_up = run(body)
    assert sorted(job_id for job_id, _ in found) == expected
    assert all(attempt == 1 for _, attempt in found)
    assert (wrong, taken, twice, abandoned, again, left) == (False, True, False, True, False, [])
    assert back.status == "pending" and [i.status for i in back.items] == ["pending"] * 2
    assert (given_up.status, given_up.error) == ("failed", "gave up")
    assert [(i.status, i.error) for i in given_up.items] == [("completed", None), ("failed", "x")]


def test_the_outbox_lists_pending_jobs_sent_long_ago_and_refused_jobs_vanish(run: Run) -> None:
    async def body(db: Database) -> list[Any]:
        old = await jobs.create(db, tenant="t", kind="k")
        fresh = await jobs.create(db, tenant="t", kind="k")
        running = await jobs.create(db, tenant="t", kind="k")
        await jobs.claim(db, job_id=running.id)
        later = utcnow() + timedelta(seconds=120)
        before = await jobs.pending_unsent(db, older_than_s=60)
        stale = await jobs.pending_unsent(db, older_than_s=60, now=later)
        refused = await jobs.create(db, tenant="t", kind="k", items=FILES)
        return [
            before,
            stale,
            [old.id, fresh.id],
            await jobs.delete_job(db, job_id=refused.id),
            await jobs.delete_job(db, job_id=refused.id),
            await jobs.get(db, job_id=refused.id, tenant=None),
        ]

    before, stale, expected, deleted, twice, gone = run(body)
    assert before == [] and stale == expected
    assert (deleted, twice, gone) == (True, False, None)
