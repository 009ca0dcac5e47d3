# syntax=docker/dockerfile:1
# BertIgGrpc server images, built from the repository root:
#   docker build -t bertig-server:latest .                    # CPU (ASP.NET Core runtime on Ubuntu 24.04)
#   docker build -t bertig-server:cuda --target cuda .        # GPU (CUDA 13 + cuDNN 9 runtime + ASP.NET Core)
#   docker run --read-only --tmpfs /tmp -v bertig-cache:/var/cache/bertig -p 50051:50051 -p 8080:8080 bertig-server:latest
# Both run as the non-root user app (uid 1654) on a read-only root: the only writable paths are the
# model cache volume and /tmp. Both hold the same published app; the CPU image leaves out ONNX
# Runtime's CUDA provider (BertIg__ExecutionProvider=auto then runs on the CPU).

ARG DOTNET_VERSION=10.0
ARG CUDA_IMAGE=nvidia/cuda:13.0.2-cudnn-runtime-ubuntu24.04

# --- the dashboard page (TypeScript, gRPC-Web), served from wwwroot ---------------------------
FROM node:20-bookworm-slim AS dashboard
WORKDIR /src/src/BertIgGrpc.Dashboard
COPY src/BertIgGrpc.Dashboard/package.json src/BertIgGrpc.Dashboard/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY protos/ /src/protos/
COPY src/BertIgGrpc.Dashboard/ ./
RUN npm run generate && npm run typecheck && node build.mjs --outdir /dashboard

# --- build: restore and publish the server (framework-dependent, linux-x64) -------------------
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}-noble AS build
WORKDIR /src
COPY global.json VERSION Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY protos/ protos/
COPY src/ src/
RUN dotnet restore src/BertIgGrpc.Server/BertIgGrpc.Server.csproj -r linux-x64
RUN dotnet publish src/BertIgGrpc.Server/BertIgGrpc.Server.csproj -c Release -r linux-x64 --self-contained false --no-restore -p:SkipDashboard=true -o /app/publish

# --- publish-cpu: the same output without ONNX Runtime's CUDA and TensorRT providers (285 MB) ----
FROM build AS publish-cpu
RUN rm -f /app/publish/libonnxruntime_providers_cuda.so /app/publish/libonnxruntime_providers_tensorrt.so

# --- cuda: the same app on NVIDIA's CUDA 13 + cuDNN runtime (docker build --target cuda) -------
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble AS aspnet
FROM ${CUDA_IMAGE} AS cuda
# The ASP.NET Core runtime comes from Microsoft's image of the same Ubuntu release; ICU for globalization.
COPY --from=aspnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
    && apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libicu74 tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1654 app \
    && useradd --uid 1654 --gid app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /var/cache/bertig \
    && chown app:app /var/cache/bertig
ENV DOTNET_RUNNING_IN_CONTAINER=true \
    ASPNETCORE_HTTP_PORTS= \
    Kestrel__Endpoints__Grpc__Url=http://0.0.0.0:50051 \
    Kestrel__Endpoints__Http__Url=http://0.0.0.0:8080 \
    BertIg__CacheDirectory=/var/cache/bertig
WORKDIR /app
COPY --from=build /app/publish/ ./
COPY --from=dashboard /dashboard/ ./wwwroot/
VOLUME /var/cache/bertig
EXPOSE 50051 8080
USER 1654
ENTRYPOINT ["dotnet", "BertIgGrpc.Server.dll"]

# --- runtime (default): the CPU image (BertIg__ExecutionProvider=auto finds no CUDA provider and uses the CPU)
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble AS runtime
# ASPNETCORE_HTTP_PORTS is emptied: the endpoints come from Kestrel:Endpoints (gRPC h2c and HTTP/1.1).
ENV ASPNETCORE_HTTP_PORTS= \
    Kestrel__Endpoints__Grpc__Url=http://0.0.0.0:50051 \
    Kestrel__Endpoints__Http__Url=http://0.0.0.0:8080 \
    BertIg__CacheDirectory=/var/cache/bertig
RUN mkdir -p /var/cache/bertig && chown app:app /var/cache/bertig
WORKDIR /app
COPY --from=publish-cpu /app/publish/ ./
COPY --from=dashboard /dashboard/ ./wwwroot/
VOLUME /var/cache/bertig
EXPOSE 50051 8080
# No HEALTHCHECK: the image has no gRPC health client; Kubernetes probes grpc.health.v1 natively
# (deploy/kubernetes), and plain Docker users can poll http://HOST:8080/healthz.
USER 1654
ENTRYPOINT ["dotnet", "BertIgGrpc.Server.dll"]
