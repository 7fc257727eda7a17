#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench_report.py DIR - table and plot of a bench.sh run.

Reads DIR/vanilla.log and DIR/patched.log (serial logs of the benchmark
boots), prints a table of vCPU creation, vgic setup, first run of every
vCPU, memory and MMIO-bus registrations per size and kernel, with
patched/vanilla ratios (medians of the repetitions), and the two scaling
figures the project watches
(patched/vanilla at 512, patched 4096/512).  Writes DIR/bench.md and
DIR/bench.png.  Figures are reported, never judged: a benchmark does not
fail."""
import os
import re
import statistics
import sys

FIG = re.compile(r'vcpus=(\d+) regions=(\d+) create=([0-9.]+)s vgic=([0-9.]+)s '
                 r'run=([0-9.]+)s mem=(-?\d+)kB(?: kmem=(-?\d+)kB)?')
PROBE = re.compile(r'probe: kvm_io_bus_register_dev calls=(-?\d+)')
SGI = re.compile(r'sgi-bench vcpus=(\d+) topology=(\w+) last=(\d+)ns random=(\d+)ns')
TAP = re.compile(r'^(ok|not ok) \d+ - bench-(\d+)(?:\.\d+)?')


def parse(path):
    """Per size, the median of each figure over the repetitions that passed."""
    reps, cur = {}, {}
    if not os.path.exists(path):
        return {}
    for line in open(path, errors='replace'):
        m = FIG.search(line)
        if m:
            cur = dict(vcpus=int(m.group(1)), regions=int(m.group(2)),
                       create=float(m.group(3)), vgic=float(m.group(4)),
                       run=float(m.group(5)), mem=int(m.group(6)),
                       kmem=int(m.group(7)) if m.group(7) else None)
            continue
        m = PROBE.search(line)
        if m:
            cur['regs'] = int(m.group(1))
            continue
        m = TAP.match(line)
        if m:
            n = int(m.group(2))
            ok = m.group(1) == 'ok' and cur.get('vcpus') == n
            if ok:
                cur['total'] = cur['create'] + cur['vgic'] + cur['run']
            reps.setdefault(n, []).append(cur if ok else None)
            cur = {}
    rows = {}
    for n, rs in reps.items():
        good = [r for r in rs if r]
        if not good:
            rows[n] = dict(vcpus=n, failed=True)
            continue
        row = dict(good[0], reps=len(good), failed_reps=len(rs) - len(good))
        for k in ('create', 'vgic', 'run', 'total', 'mem', 'kmem', 'regs'):
            vals = [r[k] for r in good if r.get(k) is not None]
            if vals:
                row[k] = statistics.median(vals)
        rows[n] = row
    return rows


def parse_sgi(path):
    """Per (vCPUs, topology): median ns per SGI to the last and to random vCPUs."""
    runs = {}
    if not os.path.exists(path):
        return {}
    for line in open(path, errors='replace'):
        m = SGI.search(line)
        if m:
            key = (int(m.group(1)), m.group(2))
            runs.setdefault(key, []).append((int(m.group(3)), int(m.group(4))))
    return {k: (statistics.median(a for a, _ in v), statistics.median(b for _, b in v))
            for k, v in runs.items()}


def sgi_table(d):
    runs = {k: parse_sgi(os.path.join(d, k + '.log')) for k in ('vanilla', 'patched')}
    keys = sorted(set(runs['vanilla']) | set(runs['patched']))
    if not keys:
        return []
    lines = ['', '| vCPUs | topology | kernel | ns/SGI to last | ns/SGI to random |',
             '|---|---|---|---|---|']
    for key in keys:
        for k in ('vanilla', 'patched'):
            if key in runs[k]:
                lines.append('| %d | %s | %s | %d | %d |' % (key + (k,) + runs[k][key]))
    p = runs['patched']
    for topo in ('default', 'sparse'):
        if (64, topo) in p and (4096, topo) in p and p[(64, topo)][1]:
            lines.append('SGI cost, %s topology: 4096/64 = %.2f to last, %.2f to random '
                         '(target: within 1.5)' %
                         (topo, p[(4096, topo)][0] / float(p[(64, topo)][0]),
                          p[(4096, topo)][1] / float(p[(64, topo)][1])))
    v = runs['vanilla']
    for topo in ('default', 'sparse'):
        if (512, topo) in p and (512, topo) in v:
            lines.append('SGI cost at 512, %s topology: patched/vanilla = %.2f to random'
                         % (topo, p[(512, topo)][1] / float(v[(512, topo)][1])))
    return lines


HOTPLUG = re.compile(r'refused-cpu-on in-kernel=(\d+)ns smccc-filter-to-vmm=(\d+)ns')
HOTADD = re.compile(r'hot-add latency=(\d+)us')


def hotplug_lines(d):
    path = os.path.join(d, 'patched.log')
    if not os.path.exists(path):
        return []
    k, u, a = [], [], []
    for line in open(path, errors='replace'):
        m = HOTPLUG.search(line)
        if m:
            k.append(int(m.group(1)))
            u.append(int(m.group(2)))
        m = HOTADD.search(line)
        if m:
            a.append(int(m.group(1)))
    if not k:
        return []
    km, um = statistics.median(k), statistics.median(u)
    lines = ['', 'refused PSCI CPU_ON (median of %d runs): in the kernel (parked vCPU) %d ns, '
             'forwarded to the VMM by the SMCCC filter %d ns: %.1fx' % (len(k), km, um, um / km)]
    if a:
        lines.append('hot-add latency (unpark, CPU_ON, first guest instruction): %d us'
                     % statistics.median(a))
    return lines


MOVE = re.compile(r'bench-move: vcpus=(\d+) gic_save=([0-9.]+) gic_restore=([0-9.]+) '
                  r'regs_save=([0-9.]+) regs_restore=([0-9.]+) create=([0-9.]+) accesses=(\d+)'
                  r'(?: control=([0-9.]+))?')
MOVE_TAP = re.compile(r'^(ok|not ok) \d+ - move-(\d+)(?:\.\d+)?')
MOVE_KEYS = ('gic_save', 'gic_restore', 'regs_save', 'regs_restore', 'create')


def parse_move(path):
    """Per size, the median of each migration figure over the passing runs."""
    reps, cur = {}, None
    if not os.path.exists(path):
        return {}
    for line in open(path, errors='replace'):
        m = MOVE.search(line)
        if m:
            cur = dict(zip(MOVE_KEYS, map(float, m.groups()[1:6])), vcpus=int(m.group(1)),
                       accesses=int(m.group(7)),
                       control=float(m.group(8)) if m.group(8) else None)
            continue
        m = MOVE_TAP.match(line)
        if m:
            n = int(m.group(2))
            ok = m.group(1) == 'ok' and cur and cur['vcpus'] == n
            reps.setdefault(n, []).append(cur if ok else None)
            cur = None
    rows = {}
    for n, rs in reps.items():
        good = [r for r in rs if r]
        if not good:
            rows[n] = dict(failed=True, runs=len(rs))
            continue
        rows[n] = {k: statistics.median(r[k] for r in good) for k in MOVE_KEYS}
        ctl = [r['control'] for r in good if r.get('control') is not None]
        rows[n]['control'] = statistics.median(ctl) if ctl else None
        rows[n].update(accesses=good[0]['accesses'], runs=len(good), failed_runs=len(rs) - len(good))
        rows[n]['save'] = rows[n]['gic_save'] + rows[n]['regs_save']
        rows[n]['restore'] = rows[n]['gic_restore'] + rows[n]['regs_restore']
    return rows


def move_table(d):
    """Migration: save and restore of the whole VM state, per size and kernel."""
    runs = {k: parse_move(os.path.join(d, k + '.log')) for k in ('vanilla', 'patched')}
    sizes = sorted(set(runs['vanilla']) | set(runs['patched']))
    if not sizes:
        return [], runs
    lines = ['', 'Migration (vm_move_scale: GIC distributor, redistributors, CPU interfaces, '
             'ITS; vCPU registers, mp_state, parked state; medians):', '',
             '| vCPUs | kernel | GIC save s | GIC restore s | GIC accesses | GIC us/vCPU (save+restore) | '
             'vCPU regs save s | vCPU regs restore s | total s | total us/vCPU | control us/vCPU | '
             'GIC save / control | vanilla/patched (GIC) |',
             '|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    for n in sizes:
        for k in ('vanilla', 'patched'):
            r = runs[k].get(n)
            if not r:
                continue
            if r.get('failed'):
                lines.append('| %d | %s | failed | | | | | | | | |' % (n, k))
                continue
            gic = r['gic_save'] + r['gic_restore']
            total = r['save'] + r['restore']
            v = runs['vanilla'].get(n)
            ratio = ''
            if k == 'patched' and v and not v.get('failed') and gic > 0:
                ratio = '%.1f' % ((v['gic_save'] + v['gic_restore']) / gic)
            ctl = r.get('control')
            lines.append('| %d | %s | %.3f | %.3f | %d | %.1f | %.3f | %.3f | %.3f | %.1f | %s | %s | %s |' % (
                n, k, r['gic_save'], r['gic_restore'], r['accesses'], gic * 1e6 / n,
                r['regs_save'], r['regs_restore'], total, total * 1e6 / n,
                '%.1f' % (ctl * 1e6 / n) if ctl else '?',
                '%.2f' % (r['gic_save'] / ctl) if ctl else '?', ratio))
    p, v = runs['patched'], runs['vanilla']
    ok = lambda r, n: r.get(n) and not r[n].get('failed')
    if ok(p, 64) and ok(p, 4096):
        for what in ('gic', 'total'):
            def per(n):
                r = p[n]
                t = r['gic_save'] + r['gic_restore'] if what == 'gic' else r['save'] + r['restore']
                return t / n
            lines.append('per-vCPU %s cost, 4096/64 = %.2f (target: within 1.5)'
                         % ('GIC save+restore' if what == 'gic' else 'save+restore (GIC and vCPU registers)',
                            per(4096) / per(64)))
    if ok(p, 64) and ok(p, 4096) and p[64].get('control') and p[4096].get('control'):
        lines.append('GIC save per vCPU relative to the control (as many O(1) KVM_GET_ONE_REG '
                     'in the same run), 4096/64 = %.2f; the control itself, 4096/64 = %.2f'
                     % ((p[4096]['gic_save'] / p[4096]['control']) /
                        (p[64]['gic_save'] / p[64]['control']),
                        (p[4096]['control'] / 4096) / (p[64]['control'] / 64)))
    if ok(p, 512) and ok(v, 512):
        pg = p[512]['gic_save'] + p[512]['gic_restore']
        vg = v[512]['gic_save'] + v[512]['gic_restore']
        lines.append('512 vCPUs, GIC save+restore: vanilla/patched = %.1f (target: at least 20)'
                     % (vg / pg))
        lines.append('512 vCPUs, whole save+restore: vanilla/patched = %.1f'
                     % ((v[512]['save'] + v[512]['restore']) / (p[512]['save'] + p[512]['restore'])))
    return lines, runs


def move_plot(d, runs, plt):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k, style in (('vanilla', 'o--'), ('patched', 's-')):
        xs = [n for n in sorted(runs[k]) if not runs[k][n].get('failed')]
        if not xs:
            continue
        ax.plot(xs, [(runs[k][n]['gic_save'] + runs[k][n]['gic_restore']) * 1e6 / n for n in xs],
                style, color='tab:red', label='%s GIC save+restore' % k)
        ax.plot(xs, [(runs[k][n]['save'] + runs[k][n]['restore']) * 1e6 / n for n in xs],
                style, color='k', label='%s whole state' % k)
    ax.set_xscale('log', base=2)
    ax.set_yscale('log')
    ax.set_xlabel('vCPUs (GICv3, 3 redistributor regions, ITS)')
    ax.set_ylabel('microseconds per vCPU (nested host, TCG)')
    ax.set_title('Save and restore of a VM: cost per vCPU')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(d, 'migration.png'), dpi=110)
    print('plot: %s' % os.path.join(d, 'migration.png'))


def main():
    d = sys.argv[1]
    runs = {k: parse(os.path.join(d, k + '.log')) for k in ('vanilla', 'patched')}
    sizes = sorted(set(runs['vanilla']) | set(runs['patched']))
    lines = ['| vCPUs | kernel | create s | vgic s | run s | total s | memory MiB | '
             'KiB/vCPU | kernel KiB/vCPU | bus registrations | patched/vanilla (total) |',
             '|---|---|---|---|---|---|---|---|---|---|---|']
    for n in sizes:
        for k in ('vanilla', 'patched'):
            r = runs[k].get(n)
            if not r:
                continue
            if r.get('failed'):
                lines.append('| %d | %s | failed | | | | | | | | |' % (n, k))
                continue
            ratio = ''
            v = runs['vanilla'].get(n)
            if k == 'patched' and v and not v.get('failed'):
                ratio = '%.2f' % (r['total'] / v['total'])
            kmem = '?' if r.get('kmem') is None else '%.1f' % (r['kmem'] / float(n))
            lines.append('| %d | %s | %.3f | %.3f | %.3f | %.3f | %.1f | %.0f | %s | %s | %s |' % (
                n, k, r['create'], r['vgic'], r['run'], r['total'], r['mem'] / 1024.0,
                r['mem'] / float(n), kmem, r.get('regs', '?'), ratio))
    p, v = runs['patched'], runs['vanilla']
    notes = []
    if 512 in p and 512 in v and 'total' in p[512] and 'total' in v[512]:
        notes.append('512 vCPUs: patched/vanilla = %.2f (target: <= 1, no slower)'
                     % (p[512]['total'] / v[512]['total']))
    if 512 in p and 4096 in p and 'total' in p[512] and 'total' in p[4096]:
        notes.append('patched 4096/512 = %.2f for 8x the vCPUs (target: about 8, linear)'
                     % (p[4096]['total'] / p[512]['total']))
        for ph in ('create', 'vgic', 'run'):
            if p[512][ph] > 0:
                notes.append('  %s: 4096/512 = %.2f' % (ph, p[4096][ph] / p[512][ph]))
    if p.get(512, {}).get('kmem') and v.get(512, {}).get('kmem'):
        notes.append('kernel memory at 512 vCPUs: patched %.1f KiB/vCPU, vanilla %.1f'
                     % (p[512]['kmem'] / 512.0, v[512]['kmem'] / 512.0))
    if p.get(4096, {}).get('kmem'):
        notes.append('kernel memory at 4096 vCPUs: patched %.1f KiB/vCPU'
                     % (p[4096]['kmem'] / 4096.0))
    mlines, mruns = move_table(d)
    text = '\n'.join(lines + [''] + notes + sgi_table(d) + hotplug_lines(d) + mlines) + '\n'
    open(os.path.join(d, 'bench.md'), 'w').write(text)
    print(text)
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        if sizes:
            fig, ax = plt.subplots(figsize=(7, 4.5))
            for k, style in (('vanilla', 'o--'), ('patched', 's-')):
                xs = [n for n in sorted(runs[k]) if 'total' in runs[k][n]]
                for ph, c in (('total', 'k'), ('create', 'tab:blue'), ('run', 'tab:red')):
                    ax.plot(xs, [runs[k][n][ph] for n in xs], style, color=c,
                            label='%s %s' % (k, ph))
            ax.set_xscale('log', base=2)
            ax.set_yscale('log')
            ax.set_xlabel('vCPUs (GICv3, 3 redistributor regions)')
            ax.set_ylabel('seconds (nested host, TCG)')
            ax.set_title('GICv3 VM setup and first run against vCPU count')
            ax.grid(True, which='both', alpha=0.3)
            ax.legend(fontsize=8)
            fig.tight_layout()
            fig.savefig(os.path.join(d, 'bench.png'), dpi=110)
            print('plot: %s' % os.path.join(d, 'bench.png'))
        if mlines:
            move_plot(d, mruns, plt)
    except ImportError:
        print('no matplotlib: no plot')
    return 0


if __name__ == '__main__':
    sys.exit(main())
