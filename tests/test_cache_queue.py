"""
The queue in the shared cache that tells the flush what waits: every item put comes out, in order, also when its
writer was paused between taking a slot and filling it, or when the cache lost the queue's tail.
"""
import threading

from django.core.cache import cache

from openedx_grade_freeze.cache_queue import CacheQueue, counter_add, counter_take


def test_items_come_out_in_order_once_and_at_most_so_many_at_a_time():
    queue = CacheQueue("test.order", 60)
    for number in range(10):
        queue.put(("item", number))
    assert queue.waiting() == 10
    assert queue.take(4) == [("item", number) for number in range(4)]
    assert queue.take(100) == [("item", number) for number in range(4, 10)]
    assert queue.take(100) == [] and queue.waiting() == 0


def test_an_item_whose_writer_paused_after_taking_its_slot_comes_out_later():
    queue = CacheQueue("test.paused", 60)
    queue.put("before")
    counter_add(queue._tail, None)  # pylint: disable=protected-access  # a writer took slot 2 and paused there
    queue.put("after")
    assert queue.take(10) == ["before", "after"]  # slot 2, still empty, is closed
    # The paused writer wakes up: its slot is closed, so it takes another (as put does), which the next take reads.
    assert not cache.add(queue._slot(2), "late", 60)  # pylint: disable=protected-access
    queue.put("late")
    assert queue.take(10) == ["late"]


def test_items_put_after_the_cache_lost_the_tail_still_come_out():
    queue = CacheQueue("test.lost", 60)
    for item in ("a", "b", "c"):
        queue.put(item)
    assert queue.take(10) == ["a", "b", "c"]
    cache.delete(queue._tail)  # pylint: disable=protected-access  # evicted: numbering starts again from 1
    queue.put("d")
    assert queue.waiting() == 1
    assert queue.take(10) == ["d"]


def test_counters_add_and_take_across_threads():
    key = "test.counter"
    threads = [threading.Thread(target=lambda: [counter_add(key, 60) for _ in range(500)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter_take(key) == (2000, 0)
    assert counter_take(key) == (0, 0)
    assert counter_add(key, 60, 5) == 5
