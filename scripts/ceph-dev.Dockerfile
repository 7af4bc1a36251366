# The one-node Ceph cluster of compose.yaml's profile scale-out: Debian's Ceph daemons and
# scripts/ceph-dev.sh, run by scripts/ceph-dev-container.sh. For development and demos only:
# one OSD on a sparse file, one replica.
FROM debian:bookworm-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ceph-mon ceph-osd ceph-mgr ceph-common python3 procps \
    && rm -rf /var/lib/apt/lists/*
COPY scripts/ceph-dev.sh scripts/ceph-dev-container.sh /usr/local/bin/
VOLUME /var/lib/ceph-dev
ENTRYPOINT ["ceph-dev-container.sh"]
