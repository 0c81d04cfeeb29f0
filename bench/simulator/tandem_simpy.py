#!/usr/bin/env python3
"""Tandem Jackson line in idiomatic SimPy, the reference for bench/simulator/index.js.

A source process makes parts with exponential interarrival times (rate LAMBDA); each part is a
process that goes through the stations in order, each station a simpy.Resource(capacity=1)
(infinite FIFO queue), holding it for an exponential service time. The run stops at the
(warmup + parts)-th departure; lead times of the parts departing after the warm-up are averaged.

Events are counted the way the TwinLoop core counts them: one per arrival at the line plus one
per service completion (so 1 + stations per part). SimPy's own kernel processes several more
internal events per part (process start, request, release, timeouts); they are not counted.

Prints one JSON object on stdout.
usage: tandem_simpy.py PARTS WARMUP SEED LAMBDA MU1 [MU2 ...]
"""
import json
import random
import sys
import time

import simpy


def main():
    parts, warmup, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    lam = float(sys.argv[4])
    mus = [float(x) for x in sys.argv[5:]]
    rng = random.Random(seed)
    expo = rng.expovariate

    env = simpy.Environment()
    stations = [simpy.Resource(env, capacity=1) for _ in mus]
    target = warmup + parts
    done = env.event()
    stats = {'arrivals': 0, 'completions': 0, 'departures': 0, 'lead_sum': 0.0, 'counted': 0}

    def part(env):
        entered = env.now
        for station, mu in zip(stations, mus):
            with station.request() as req:
                yield req
                yield env.timeout(expo(mu))
            stats['completions'] += 1
        stats['departures'] += 1
        if stats['departures'] > warmup:
            stats['lead_sum'] += env.now - entered
            stats['counted'] += 1
        if stats['departures'] == target:
            done.succeed()

    def source(env):
        while True:
            yield env.timeout(expo(lam))
            stats['arrivals'] += 1
            env.process(part(env))

    env.process(source(env))
    t0 = time.perf_counter()
    env.run(until=done)
    wall = time.perf_counter() - t0
    events = stats['arrivals'] + stats['completions']
    print(json.dumps({
        'simpy': simpy.__version__,
        'python': sys.version.split()[0],
        'partsDeparted': stats['departures'],
        'wallSeconds': wall,
        'partsPerSecond': stats['departures'] / wall,
        'events': events,
        'eventsPerSecond': events / wall,
        'meanTimeInSystem': stats['lead_sum'] / stats['counted'] if stats['counted'] else None,
        'simTime': env.now,
    }))


if __name__ == '__main__':
    main()
