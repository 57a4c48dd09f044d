# Herald's api and worker image: one image, two commands (docker-compose.yml). Multi-stage: the
# dependencies are installed and the workflow bundle built with the toolchain; the runtime stage holds
# production dependencies only and the source it runs (tsx compiles TypeScript as it loads it), and
# runs as the unprivileged user `node`.
FROM node:20-bookworm-slim AS toolchain
WORKDIR /app
# better-sqlite3 builds from source where no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./

FROM toolchain AS deps
RUN npm ci --no-audit --no-fund

FROM toolchain AS production-deps
RUN npm ci --omit=dev --no-audit --no-fund

FROM deps AS build
COPY . .
RUN npx tsc --noEmit && npx tsx scripts/bundle-workflows.ts dist/workflow-bundle.js

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HERALD_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
    HERALD_HOST=0.0.0.0 \
    HERALD_PORT=3000
WORKDIR /app
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json tsconfig.json ./
COPY config ./config
COPY domain ./domain
COPY persistence ./persistence
COPY workflows ./workflows
COPY activities ./activities
COPY mail ./mail
COPY api ./api
COPY dashboard ./dashboard
COPY server ./server
COPY worker ./worker
COPY observability ./observability
COPY scripts/create-admin.ts ./scripts/
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HERALD_PORT||3000)+'/health').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# One process, so that SIGTERM reaches Herald itself (npx and the tsx CLI would each add a parent).
CMD ["node", "--import", "tsx", "server/main.ts"]
