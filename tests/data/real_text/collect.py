#!/usr/bin/env python3
"""Copies the real-text corpus of tests/data/real_text from a Debian system.

Run from this directory: python3 collect.py. Writes copyright/, header/,
man/, changelog/ and log/ and README.md (every file with its source path
and package). Texts already present under another name (identical bytes)
are skipped. Nothing here was written by this project.
"""
import glob, gzip, hashlib, os, re, subprocess

SEEN = set()
ROWS = []


def package_of(path):
    try:
        out = subprocess.run(['dpkg', '-S', path], capture_output=True, text=True).stdout
        return out.split(':')[0].strip() or '?'
    except OSError:
        return '?'


def keep(kind, name, src, text, pkg=None):
    digest = hashlib.md5(text.encode()).hexdigest()
    if digest in SEEN:
        return False
    SEEN.add(digest)
    os.makedirs(kind, exist_ok=True)
    with open(os.path.join(kind, name), 'w') as f:
        f.write(text)
    ROWS.append((kind + '/' + name, src, pkg or package_of(src)))
    return True


def take(kind, paths, reader, lo, hi, count, name_of):
    n = 0
    for p in sorted(paths):
        try:
            t = reader(p)
        except (OSError, UnicodeDecodeError, EOFError):
            continue
        if not (lo <= len(t) <= hi) or t.startswith('.so '):
            continue
        n += keep(kind, name_of(p), p, t)
        if n >= count:
            break


plain = lambda p: open(p, encoding='utf-8').read()
gz = lambda p: gzip.open(p).read().decode('utf-8')
gz_head = lambda p: gz(p)[:4096]  # the newest entries of a changelog

take('copyright', [p for p in glob.glob('/usr/share/doc/*/copyright')
                   if 'GNU General Public License' in open(p, errors='replace').read()],
     plain, 1500, 6000, 30, lambda p: p.split('/')[4] + '.txt')
take('header', glob.glob('/usr/include/linux/*.h'), plain, 2000, 7000, 24, os.path.basename)
take('man', glob.glob('/usr/share/man/man1/*.1.gz'), gz, 3000, 8000, 24,
     lambda p: os.path.basename(p)[:-3].replace('[', 'bracket'))
take('changelog', glob.glob('/usr/share/doc/*/changelog.Debian.gz'), gz_head, 3000, 4096, 24,
     lambda p: p.split('/')[4] + '.txt')
# Logs: consecutive 60-line windows of the dpkg log, as a person pastes a
# build or install log.
lines = open('/var/log/dpkg.log', encoding='utf-8').read().splitlines()
for i in range(24):
    keep('log', 'dpkg-%02d.log' % i, '/var/log/dpkg.log',
         '\n'.join(lines[i * 60:(i + 1) * 60]) + '\n', 'dpkg (log written by dpkg while packages were installed)')

with open('README.md', 'w') as f:
    f.write('# Real text for near-duplicate tests and the independent persona generator\n\n'
            'Copied from the Debian 12 system the project is built on by `collect.py` (this\n'
            'directory); nothing here was written by this project. Each file keeps its\n'
            "package's licence (see copyright/ and /usr/share/doc/<package>/copyright).\n"
            'changelog/ holds the first 4,096 bytes of each changelog; log/ holds\n'
            'consecutive 60-line windows of /var/log/dpkg.log.\n\n'
            '| file | source | package |\n|---|---|---|\n')
    for row in ROWS:
        f.write('| %s | %s | %s |\n' % row)
print(len(ROWS), 'files')
