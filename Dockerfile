# aigw in a container (README, "Install and run it for real"). Multi-stage: Swift's image
# builds a release binary with the Swift runtime linked in; a slim Debian runs it as a
# non-root user with only the C libraries it links (libstdc++, zlib) and CA certificates.
#   docker build -t aigw .
#   docker run -p 8787:8787 -v aigw-data:/var/lib/aigw -e AIGW_ADMIN_TOKEN=... -e AIGW_MASTER_KEY=... aigw

FROM swift:6.3-bookworm AS build
WORKDIR /src
# Package manifest first: the dependencies are fetched once and cached while sources change.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product aigw --static-swift-stdlib \
 && mkdir /out \
 && cp "$(swift build -c release --static-swift-stdlib --show-bin-path)/aigw" /out/ \
 && cp -R "$(swift build -c release --static-swift-stdlib --show-bin-path)"/aigw_*.resources /out/

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libstdc++6 zlib1g ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/aigw --create-home aigw
COPY --from=build /out/ /usr/local/lib/aigw/
RUN ln -s /usr/local/lib/aigw/aigw /usr/local/bin/aigw
USER aigw
WORKDIR /var/lib/aigw
VOLUME /var/lib/aigw
EXPOSE 8787
# Listens on every interface inside the container: set AIGW_ADMIN_TOKEN, or the management API
# and dashboard answer nobody but loopback (which, from outside the container, is nobody).
ENV AIGW_HOST=0.0.0.0 AIGW_PORT=8787 AIGW_DATABASE=sqlite:/var/lib/aigw/aigw.sqlite
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8787/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["aigw"]
CMD ["serve"]
