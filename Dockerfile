# Builds and runs `coffer serve`. The image listens on all interfaces inside the container;
# compose.yaml publishes the ports on the host's loopback only.
# --build-arg RADOS=1 builds with librados, for `--storage rados` (compose.yaml's profile
# scale-out); the default image has no Ceph library.
FROM swift:6.1-bookworm AS build
ARG RADOS=0
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libleveldb-dev libssl-dev zlib1g-dev \
       $(if [ "$RADOS" = 1 ]; then echo librados-dev; fi) \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product coffer --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/coffer" /usr/local/bin/coffer

FROM debian:bookworm-slim
ARG RADOS=0
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libleveldb1d libssl3 zlib1g ca-certificates \
       $(if [ "$RADOS" = 1 ]; then echo librados2; fi) \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/coffer --create-home coffer
COPY --from=build /usr/local/bin/coffer /usr/local/bin/coffer
USER coffer
VOLUME /var/lib/coffer
EXPOSE 9000 9443
ENTRYPOINT ["coffer", "serve"]
CMD ["--data-dir", "/var/lib/coffer", "--http-address", "0.0.0.0:9000", "--https-address", "0.0.0.0:9443"]
