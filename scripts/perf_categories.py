#!/usr/bin/env python3
"""Where a Coffer server's CPU goes, by part of the request path, from a sampled profile.

    perf record -F 2000 -e cpu-clock -g -p <server pid> -o put.data   # during a load, then Ctrl-C
    perf script -i put.data > put.txt
    scripts/perf_categories.py put.txt

Each sample goes to the first category whose test matches a frame of its stack (so a sample
in the kernel under fdatasync counts as fsync, one under a SigV4 frame as SigV4). Stacks
through code built without frame pointers are cut short, so "other" also holds what could not
be attributed. Percentages of all samples; nothing is asserted (docs/benchmarks.md).
"""
import sys, collections
stacks=open(sys.argv[1]).read().split('\n\n')
cats=[
 ("fsync (kernel)", lambda f: any('fdatasync' in x or 'fsync' in x for x in f)),
 ("futex / scheduling (kernel)", lambda f: any('futex' in x or 'finish_task_switch' in x or '__schedule' in x for x in f)),
 ("SigV4 verification", lambda f: any('CofferSigV4' in x for x in f)),
 ("sealing (AES-GCM, hashing of the body)", lambda f: any(('CofferCrypto' in x) or 'EVP_' in x or 'aes' in x.lower() or 'sha256' in x.lower() or 'md5' in x.lower() or 'crc32' in x.lower() for x in f)),
 ("audit record", lambda f: any('CofferAudit' in x or 'AuditRecorder' in x for x in f)),
 ("request log line", lambda f: any('7Logging' in x or 'FrontDoorV6logged' in x for x in f)),
 ("LevelDB", lambda f: any('leveldb' in x.lower() for x in f)),
 ("storage layer (records, commits)", lambda f: any('CofferStorage' in x for x in f)),
 ("HTTP (NIO, Hummingbird)", lambda f: any('NIOHTTP' in x or 'HummingbirdCore' in x or 'NIOPosix' in x or 'NIOCore' in x for x in f)),
 ("S3 handler (parsing, headers, XML)", lambda f: any('CofferS3' in x or 'CofferServer' in x for x in f)),
 ("network syscalls (kernel)", lambda f: any('tcp' in x or 'sock' in x or 'epoll' in x for x in f)),
]
agg=collections.Counter(); n=0
for s in stacks:
    lines=s.strip().split('\n')
    if len(lines)<2: continue
    n+=1
    frames=[l.strip().split(' ',1)[1] if ' ' in l.strip() else l for l in lines[1:]]
    for name,pred in cats:
        if pred(frames): agg[name]+=1; break
    else: agg["other (runtime, allocation, unattributed)"]+=1
for k,v in agg.most_common(): print(f"{100*v/n:5.1f}%  {k}")
print("samples", n)
