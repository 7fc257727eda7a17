#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py RESULTS_DIR - verdicts of a test matrix run.

Reads RESULTS_DIR/runs.tsv ("run tree config mode log" per line, written by
harness/test.sh), the test lists (harness/tests/*.list) and
RESULTS_DIR/checks.tsv ("name PASS|FAIL|SKIP detail", the static checks).
Writes RESULTS_DIR/results.md (test x run table and every verdict) and
prints "N passed, N failed, N skipped"; exits 1 when anything failed.

Verdicts:
 - every run boots, runs its list and powers off;
 - no kernel splat in any run of the patched kernel;
 - regression rule: an upstream test that passes on vanilla passes on the
   patched kernel with the same config and host mode (a vanilla run is
   given only the tests that did not pass or skip on its patched twin:
   one that passes on the patched kernel needs no comparison); one that
   skips on vanilla passes or skips; one that fails on vanilla only is
   fixed here (pass).  The debug kernel has no vanilla twin (it is there
   for splats): an upstream test that fails there is a failure unless the
   allow-list (harness/tests/allow-list) names it, with its reason, for
   that run (then skipped, the reason shown);
   one that fails on vanilla too must fail at the same assertion on the
   patched kernel (same file and expression, and message for TEST_FAIL: a
   hook patch may move it by a line), and the allow-list must name it with
   its 6.12 reason: then it is reported as "fails on both" (skipped, the
   reason shown), else it is a failure.  A test that fails now and then on
   both kernels (an emulator's timing) may pass on vanilla and fail on the
   patched kernel by chance: that is a failure unless the allow-list names
   it as flaky at one assertion ("flaky@file.c:line") and the patched
   kernel failed at exactly that assertion (then skipped, reason shown);
 - the project's own tests pass on the patched kernel and pass or skip
   (never fail) on vanilla;
 - the project's QEMU tests (tests/qemu-ext.list: vmm/qemu's QEMU boots
   the same guest) are the project's own: they pass on the patched kernel
   and pass or skip on vanilla (where a case checks the refusal of what
   needs the extension, or skips);
 - real-VMM tests (tests/real-vmm.list: Debian's QEMU boots a Linux guest
   in the nested host) follow the regression rule: each passes on the
   patched kernel, or fails on its vanilla twin too (then listed and
   counted as skipped); one that passes on vanilla and fails on the
   patched kernel, or fails there with no vanilla result, is a failure.
"""
import fnmatch
import os
import re
import sys

HARNESS = os.path.dirname(os.path.abspath(__file__))
TAP = re.compile(r'^(ok|not ok) (\d+) - (\S+)(?: # (.*))?$')
SPLATS = [
    (re.compile(p), what) for p, what in [
        (r'WARNING: .*(at|CPU)', 'WARNING'),
        (r'------------\[ cut here \]------------', 'WARNING'),
        (r'\bBUG[: ]', 'BUG'),
        (r'Oops', 'Oops'),
        (r'Kernel panic', 'panic'),
        (r'KASAN', 'KASAN'),
        (r'UBSAN', 'UBSAN'),
        (r'possible (recursive|circular) locking', 'lockdep'),
        (r'inconsistent lock state|lock held when returning|'
         r'suspicious RCU usage|bad unlock balance|'
         r'possible irq lock inversion|INFO: trying to register non-static key',
         'lockdep'),
        (r'sleeping function called from invalid context', 'might_sleep'),
        (r'rcu: INFO: .*stall|self-detected stall', 'RCU stall'),
        (r'soft lockup|hard LOCKUP|blocked for more than \d+ seconds',
         'lockup'),
        (r'list_(add|del) corruption', 'list corruption'),
        (r'kmemleak: \d+ new suspected memory leaks', 'kmemleak'),
        (r'Unable to handle kernel', 'Oops'),
    ]
]


def read_list(name):
    tests = []
    with open(os.path.join(HARNESS, 'tests', name)) as f:
        for line in f:
            w = line.split()
            if w and not w[0].startswith('#'):
                tests.append(w[1])
    return tests


def read_allow_list():
    """[(test, run glob, flaky-at or None, reason)] of harness/tests/allow-list.

    Each line: "<test> <run-glob> [flaky@<file>:<line>] <reason...>"; '#'
    starts a comment.  An entry lets an upstream test fail, with that
    reason, in the runs its glob matches: on a run with no vanilla twin, or
    failing alike on both kernels; a flaky@ entry also when it passed on
    vanilla, if the patched kernel failed at that assertion.
    """
    entries = []
    with open(os.path.join(HARNESS, 'tests', 'allow-list')) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            w = line.split(None, 2)
            flaky = None
            if len(w) == 3 and w[2].startswith('flaky@'):
                at, _, w[2] = w[2].partition(' ')
                flaky = at[len('flaky@'):]
            if len(w) < 3 or not w[2] or flaky == '':
                sys.exit('allow-list:%d: want "<test> <run-glob> '
                         '[flaky@<file>:<line>] <reason>"' % n)
            entries.append((w[0], w[1], flaky, w[2]))
    return entries


def entry(entries, test, run):
    """The first allow-list entry for test on run, or None."""
    for e in entries:
        if e[0] == test and fnmatch.fnmatchcase(run, e[1]):
            return e
    return None


def allowed(entries, test, run):
    """The allow-list's reason for test failing on run, or None."""
    e = entry(entries, test, run)
    return e[3] if e else None


def flaky(entries, test, run, at):
    """The reason when test is allow-listed as flaky on run at exactly at."""
    e = entry(entries, test, run)
    return e[3] if e and e[2] and at and str(at) == e[2] else None


ASSERT_AT = re.compile(r'^#\s+(\S+\.[ch]):(\d+):\s*(.*)$')
# A failure l2vmm (init/l2vmm.c) reports, in a real-VMM or project-QEMU test.
L2VMM_FAIL = re.compile(r"^#\s+l2vmm: \[\s*[0-9.]+s\] FAIL: (.*)$")
ASSERT_MSG = re.compile(r'^#\s+(.*)$')


class Where(str):
    """A failed assertion: prints as "file.c:line"; compares by what failed.

    Two failures are the same failure when they are in the same file, on the
    same expression; for TEST_FAIL() (expression "false") with the same
    message, its values left out.  The line number is left out because a
    hook patch that adds a line above an assertion moves it without
    changing it; other message lines are left out because threads print
    theirs in between.
    """

    def __new__(cls, path, line, expr):
        w = super().__new__(cls, '%s:%s' % (path, line))
        w.sig = [path, expr]
        return w

    def wants_message(self):
        return self.sig[1] == 'false' and len(self.sig) == 2

    def __eq__(self, other):
        if isinstance(other, Where):
            return self.sig == other.sig
        return NotImplemented

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = str.__hash__


def parse_log(path):
    """Return (results, splats, completed) of one serial log.

    results maps a test name to (PASS|SKIP|FAIL|TIMEOUT, seconds, detail,
    where, why): where is the first failed assertion (a Where) in the test's
    output, or None; why is the first reason l2vmm gave for a failure (its
    "FAIL: " lines), or ''.
    """
    results, splats, completed = {}, [], False
    where, after_banner, msg_lines, why = None, False, 0, ''
    try:
        with open(path, errors='replace') as f:
            lines = f.read().splitlines()
    except OSError:
        return results, ['no serial log'], False
    for line in lines:
        m = TAP.match(line)
        if m:
            status, _, name, extra = m.groups()
            extra = extra or ''
            if status == 'ok':
                res = 'SKIP' if extra.startswith('SKIP') else 'PASS'
            else:
                res = 'TIMEOUT' if extra.startswith('TIMEOUT') else 'FAIL'
            t = re.search(r'time=([0-9.]+)s', extra)
            results[name] = (res, float(t.group(1)) if t else None, extra, where, why)
            where, after_banner, why = None, False, ''
            continue
        if line.startswith('# === '):
            where, after_banner, why = None, False, ''
        elif not why and L2VMM_FAIL.match(line):
            why = L2VMM_FAIL.match(line).group(1)[:300]
        elif 'Test Assertion Failure' in line:
            after_banner = True
        elif after_banner and where is None:
            m = ASSERT_AT.match(line)
            if m:
                where, msg_lines = Where(*m.groups()), 1
        elif where is not None and msg_lines and where.wants_message():
            m = ASSERT_MSG.match(line)
            if m and not m.group(1).startswith('pid='):
                # The message, with its values left out: they may differ
                # from one run to the next (iteration counts, addresses).
                where.sig.append(re.sub(r'\b(0x[0-9a-f]+|\d+)\b', 'N', m.group(1)))
                msg_lines = 0
            elif not m:
                msg_lines = 0
        if line.startswith('KVMX-POWEROFF'):
            completed = True
        if line.startswith('# '):
            continue        # test output, not the kernel's
        for rx, what in SPLATS:
            if rx.search(line):
                splats.append('%s: %s' % (what, line.strip()[:200]))
                break
    return results, splats, completed


def check_one_log(path):
    """report.py --log SERIAL-LOG: the verdict on one run (./kvmx soak)."""
    res, splats, done = parse_log(path)
    for name, (r, t, extra, _) in sorted(res.items()):
        print('%-40s %s %s' % (name, r, extra))
    for s in splats:
        print('splat: ' + s)
    bad = [n for n, v in res.items() if v[0] in ('FAIL', 'TIMEOUT')]
    ok = done and res and not bad and not splats
    print('%s: %d tests, %d failed, %d splats%s' %
          ('PASS' if ok else 'FAIL', len(res), len(bad), len(splats),
           '' if done else ', run did not complete'))
    return 0 if ok else 1


def main():
    if sys.argv[1] == '--log':
        sys.exit(check_one_log(sys.argv[2]))
    out = sys.argv[1]
    runs = []
    with open(os.path.join(out, 'runs.tsv')) as f:
        for line in f:
            w = line.split()
            if len(w) == 5:
                runs.append(dict(zip(('run', 'tree', 'config', 'mode', 'log'), w)))
    upstream = read_list('upstream.list')
    project = read_list('project.list')
    allow = read_allow_list()
    real_vmm = read_list('real-vmm.list')
    qemu_ext = read_list('qemu-ext.list') + read_list('qemu-ext-4096.list')
    verdicts = []       # (check, PASS|FAIL|SKIP, detail)

    def verdict(name, ok, detail=''):
        verdicts.append((name, ok, detail))

    parsed = {}
    for r in runs:
        res, splats, done = parse_log(r['log'])
        parsed[r['run']] = res
        verdict('boot:%s' % r['run'], 'PASS' if done else 'FAIL',
                '' if done else 'run did not complete (crash or time limit): %s' % r['log'])
        if r['tree'] == 'patched':
            verdict('splat-free:%s' % r['run'], 'FAIL' if splats else 'PASS',
                    '; '.join(splats[:5]))
        elif splats:
            print('note: vanilla run %s has kernel messages: %s' %
                  (r['run'], '; '.join(splats[:3])))

    def scheduled(run):
        """The tests a run was given (its list), or every test."""
        path = os.path.join(out, run + '.list')
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return {w[1] for w in (l.split() for l in f) if len(w) > 1}

    def result(run, test):
        return parsed.get(run, {}).get(test, ('MISSING', None, '', None))[0]

    def failed_at(run, test):
        return parsed.get(run, {}).get(test, ('MISSING', None, '', None))[3]

    def fail_reason(run, test):
        """Why TEST failed in RUN: l2vmm's first reason, else what init said."""
        e = parsed.get(run, {}).get(test, ('MISSING', None, '', None, ''))
        if e[0] in ('PASS', 'SKIP', 'MISSING'):
            return ''
        if e[4]:
            return ': ' + e[4]
        extra = re.sub(r'\s*time=[0-9.]+s', '', e[2]).strip()
        return ' (%s)' % extra if extra else ''

    vanilla_of = {}
    for r in runs:
        if r['tree'] == 'vanilla':
            vanilla_of[(r['config'], r['mode'])] = r['run']
    both = []
    for r in runs:
        if r['tree'] != 'patched':
            continue
        base = vanilla_of.get((r['config'], r['mode']))
        given = scheduled(r['run'])
        for t in upstream:
            if given is not None and t not in given:
                continue
            p = result(r['run'], t)
            if base is None:
                ok = p in ('PASS', 'SKIP')
                why = None if ok else allowed(allow, t, r['run'])
                at = failed_at(r['run'], t)
                at = ' at %s' % at if at else ''
                verdict('upstream:%s:%s' % (r['run'], t),
                        'PASS' if ok else 'SKIP' if why else 'FAIL',
                        p if ok else '%s%s on %s (no vanilla twin): %s' %
                        (p, at, r['run'],
                         'allow-listed: ' + why if why else 'not in the allow-list'))
                if not ok:
                    both.append('%s (%s only: %s%s, no vanilla twin; %s)' %
                                (t, r['run'], p, at,
                                 'allow-listed: ' + why if why else 'FAIL'))
                continue
            v = result(base, t)
            name = 'regress:%s:%s' % (r['run'], t)
            base_given = scheduled(base)
            if base_given is not None and t not in base_given:
                # Vanilla runs only what did not pass or skip here.
                verdict(name, 'PASS' if p in ('PASS', 'SKIP') else 'FAIL',
                        'patched %s, vanilla not run%s' %
                        (p, '' if p in ('PASS', 'SKIP') else ' (no comparison)'))
                continue
            if v == 'PASS':
                pa = failed_at(r['run'], t)
                why = None if p == 'PASS' else flaky(allow, t, r['run'], pa)
                if why:
                    verdict(name, 'SKIP', 'vanilla PASS, patched %s at %s: flaky on '
                            'both kernels, allow-listed: %s' % (p, pa, why))
                    both.append('%s (%s: vanilla PASS, patched %s at %s; flaky, '
                                'allow-listed: %s)' % (t, r['run'], p, pa, why))
                else:
                    verdict(name, 'PASS' if p == 'PASS' else 'FAIL',
                            'vanilla PASS, patched %s%s' % (p, ' at ' + pa if pa else ''))
            elif v == 'SKIP':
                verdict(name, 'PASS' if p in ('PASS', 'SKIP') else 'FAIL',
                        'vanilla SKIP, patched %s' % p)
            elif p in ('PASS', 'SKIP'):
                verdict(name, 'PASS', 'fails on vanilla only (fixed here): '
                        'vanilla %s, patched %s' % (v, p))
                both.append('%s (%s: vanilla %s, patched %s)' % (t, r['run'], v, p))
            else:
                # Failing on both: it must fail the same way, for a
                # reason the allow-list gives.
                va, pa = failed_at(base, t), failed_at(r['run'], t)
                why = allowed(allow, t, r['run'])
                if va != pa:
                    verdict(name, 'FAIL', 'fails differently: vanilla %s at %s, '
                            'patched %s at %s' % (v, va, p, pa))
                elif not why:
                    verdict(name, 'FAIL', 'fails on both, alike (vanilla %s, patched %s%s), '
                            'and the allow-list gives no reason' %
                            (v, p, ' at ' + va if va else ''))
                else:
                    verdict(name, 'SKIP', 'fails on both, alike: vanilla %s, patched %s%s; '
                            'allow-listed: %s' % (v, p, ' at ' + va if va else '', why))
                both.append('%s (%s: vanilla %s at %s, patched %s at %s%s)' %
                            (t, r['run'], v, va, p, pa,
                             '; allow-listed: ' + why if why else ''))
        for kind, tests in (('project', project), ('qemu-ext', qemu_ext)):
            for t in tests:
                if given is not None and t not in given:
                    continue
                p = result(r['run'], t)
                verdict('%s:%s:%s' % (kind, r['run'], t), 'PASS' if p == 'PASS' else 'FAIL',
                        p + fail_reason(r['run'], t))
        for t in real_vmm:
            if given is not None and t not in given:
                continue
            p = result(r['run'], t)
            name = 'real-vmm:%s:%s' % (r['run'], t)
            base_given = scheduled(base) if base else None
            v = result(base, t) if base and (base_given is None or t in base_given) else None
            if p == 'PASS':
                verdict(name, 'PASS', 'patched PASS, vanilla %s' % (v or 'not run'))
            elif v is None or v == 'MISSING':
                verdict(name, 'FAIL', 'patched %s%s, no vanilla result to compare with' %
                        (p, fail_reason(r['run'], t)))
            elif v == 'PASS':
                verdict(name, 'FAIL', 'vanilla PASS, patched %s%s' % (p, fail_reason(r['run'], t)))
            else:
                verdict(name, 'SKIP', 'fails on both: vanilla %s, patched %s' % (v, p))
                both.append('%s (%s: vanilla %s, patched %s)' % (t, r['run'], v, p))
    for r in runs:
        if r['tree'] != 'vanilla':
            continue
        given = scheduled(r['run'])
        for kind, tests in (('project', project), ('qemu-ext', qemu_ext)):
            for t in tests:
                if given is not None and t not in given:
                    continue
                v = result(r['run'], t)
                verdict('%s-on-vanilla:%s:%s' % (kind, r['run'], t),
                        'PASS' if v in ('PASS', 'SKIP') else 'FAIL',
                        'must pass or skip on vanilla, got %s%s' % (v, fail_reason(r['run'], t)))

    checks = os.path.join(out, 'checks.tsv')
    if os.path.exists(checks):
        with open(checks) as f:
            for line in f:
                w = line.rstrip('\n').split('\t')
                if len(w) >= 2:
                    verdict(w[0], w[1], w[2] if len(w) > 2 else '')

    # The table.
    names = [r['run'] for r in runs]
    with open(os.path.join(out, 'results.md'), 'w') as f:
        f.write('| test | %s |\n|---|%s\n' % (' | '.join(names), '---|' * len(names)))
        for t in upstream + project + real_vmm + qemu_ext:
            cells = []
            for n in names:
                res, secs = parsed.get(n, {}).get(t, ('-', None, '', None))[:2]
                if res == '-' and n in vanilla_of.values():
                    res = 'not run'
                cells.append(res + (' %.1fs' % secs if secs is not None else ''))
            f.write('| %s | %s |\n' % (t, ' | '.join(cells)))
        f.write('\n## Verdicts\n\n')
        for name, ok, detail in verdicts:
            f.write('- %s %s %s\n' % (ok, name, detail))
        if both:
            f.write('\n## Upstream and real-VMM tests failing on vanilla too, or on a run with no vanilla twin\n\n')
            for b in both:
                f.write('- %s\n' % b)

    npass = sum(1 for v in verdicts if v[1] == 'PASS')
    nfail = sum(1 for v in verdicts if v[1] == 'FAIL')
    nskip = sum(1 for v in verdicts if v[1] == 'SKIP')
    for name, ok, detail in verdicts:
        if ok == 'FAIL':
            print('FAIL %s %s' % (name, detail))
    for b in both:
        print('upstream test failing (see results.md): %s' % b)
    print('results table: %s' % os.path.join(out, 'results.md'))
    print('%d passed, %d failed, %d skipped' % (npass, nfail, nskip))
    return 1 if nfail or not verdicts else 0


if __name__ == '__main__':
    sys.exit(main())
