# syntax=docker/dockerfile:1
#
# One image for all three Mailroom processes; docker-compose.yml chooses the entry point per service:
#   API      node dist/api/main.js       (what `npm run start:api` runs)
#   worker   node dist/worker/main.js    (`npm run start:worker`)
#   sandbox  node dist/sandbox/main.js   (`npm run start:sandbox`)
# node is started directly rather than through npm, so SIGTERM reaches the process that handles it.
#
#   docker build -t mailroom .
#   docker run --rm --env-file .env mailroom node dist/worker/main.js

# package.json's engines wants node >=20.19; the 20.19 tag follows that minor line's patch releases.
ARG NODE_IMAGE=node:20.19-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
# What tsconfig.build.json compiles, and nothing else (tests stay out of the image).
COPY tsconfig.json tsconfig.build.json ./
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY api ./api
COPY sandbox ./sandbox
COPY dev ./dev
COPY lib ./lib
COPY db ./db
# tsc to dist/, then dist/workflow-bundle.js, which production workers load instead of bundling at start.
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# Owned by root and only readable by the app user: the processes write nothing to /app.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000 3025
CMD ["node", "dist/api/main.js"]
