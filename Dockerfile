# Herald's api and worker image (one image, two commands). Multi-stage: dependencies are built with the
# toolchain, the runtime stage carries only what runs, as a non-root user.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY . .
RUN npx tsc --noEmit && npx tsx scripts/bundle-workflows.ts dist/workflow-bundle.js

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HERALD_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
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
COPY worker ./worker
COPY runtime ./runtime
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+(process.env.HERALD_PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["npx", "tsx", "api/main.ts"]
