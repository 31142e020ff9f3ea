#!/usr/bin/env python3
# ruff: noqa: E501  (the hand-written request bodies below are data; long lines are kept as written)
"""Generate the bundled synthetic sample data for supportml.

Writes ``datasets/sample_requests.csv``: synthetic platform-support requests as they
look in a Slack support channel, labelled with a topic from the platform taxonomy.

Everything here is synthetic. The request bodies below were hand-written for this
project (they are not copied from any real Slack workspace); the generator only adds
Slack realism around them (greetings, mentions, links, code/log snippets, typos,
sign-offs, follow-ups), spreads them over time, assigns fake users/teams/channels,
and injects label noise (ambiguous requests and a few deliberately wrong labels).

Usage (from the project root)::

    python datasets/generate_sample.py            # rewrites datasets/sample_requests.csv
    python datasets/generate_sample.py -o out.csv # write somewhere else

Standard library only. The seed is fixed, so the output is byte-identical on every run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import re

SEED = 20260301
OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample_requests.csv")

DATE_START = dt.date(2026, 3, 1)
DATE_END = dt.date(2026, 10, 31)

# Target number of requests generated per topic (before label noise moves a few).
TARGETS = {
    "CI Error": 215,
    "Access Request": 165,
    "PR Review": 125,
    "Failed Deployment": 120,
    "Environments": 90,
    "Pipeline": 80,
    "Test Accounts/Data": 75,
    "Review Instance": 70,
    "Test Failure": 70,
    "Something Else": 70,
    "App Logging/Monitoring": 60,
    "Security": 50,
    "Design System": 45,
    "CMS": 42,
    "Monitoring Dashboards": 40,
    "Testing Tool Access": 40,
    "Orientation/Onboarding": 34,
    "Testing Tools": 34,
    "Forms": 30,
    "Analytics": 22,
}

AMBIGUOUS_RATE = 0.05  # share of each topic's rows drawn from the ambiguous pool
MISLABEL_RATE = 0.035  # share of rows whose label is deliberately wrong

# Topics a tired human triager confuses with each other (used for label noise).
NEIGHBOURS = {
    "CI Error": ["Pipeline", "Test Failure", "Failed Deployment"],
    "Pipeline": ["CI Error", "Failed Deployment"],
    "Failed Deployment": ["Pipeline", "CI Error", "Environments"],
    "Test Failure": ["CI Error", "Testing Tools"],
    "Testing Tools": ["Test Failure", "Testing Tool Access", "Test Accounts/Data"],
    "Testing Tool Access": ["Access Request", "Testing Tools"],
    "Test Accounts/Data": ["Testing Tools", "Environments", "Access Request"],
    "Access Request": ["Testing Tool Access", "Security", "Orientation/Onboarding"],
    "Security": ["Access Request", "App Logging/Monitoring"],
    "Environments": ["Review Instance", "Failed Deployment"],
    "Review Instance": ["Environments", "PR Review"],
    "PR Review": ["Review Instance", "CI Error"],
    "App Logging/Monitoring": ["Monitoring Dashboards", "Failed Deployment"],
    "Monitoring Dashboards": ["App Logging/Monitoring", "Analytics"],
    "Design System": ["Forms"],
    "Forms": ["Design System"],
    "Analytics": ["Monitoring Dashboards"],
    "CMS": ["Something Else", "Failed Deployment"],
    "Orientation/Onboarding": ["Something Else", "Access Request"],
    "Something Else": ["Orientation/Onboarding"],
}

# Hand-written request bodies, one block per topic. Requests are separated by a line
# holding only "%%". {repo}, {app}, {user}, {prlink}, ... are filled in per row by the
# generator (see Generator.value); any other braces are kept literally.
BODIES: dict[str, str] = {}

# ---------------------------------------------------------------------------
# CI / build / deploy family
# ---------------------------------------------------------------------------
BODIES["CI Error"] = r"""
is CI broken for everyone or just me? every job on {repo} dies at `yarn install`
%%
CI red on main again :sob:
%%
getting `Error: Process completed with exit code 137` on the build job. is the runner running out of memory?
%%
our {job} job has been failing since this morning with "No space left on device". nothing changed on our side as far as I can tell
%%
The lint step fails on my PR but `yarn lint` is clean locally. Is CI using a different eslint config than what's in the repo?
%%
the "Continuous Integration / build" check never reports back on {prlink}, it just sits at "Expected — Waiting for status to be reported"
%%
Our builds started failing right after the node upgrade. CI is running node 18 but .nvmrc says 20. who controls the runner image?
%%
bundle install fails in CI with `Gem::RemoteFetcher::FetchError` for one of the private gems. do we need a new token for the package registry??
%%
docker build step can't pull the base image: `toomanyrequests: You have reached your pull rate limit`. is there a mirror we're supposed to use?
%%
codeql has been running for 6 hours on {repo} and then times out. Can it be skipped for draft PRs or is it a required check?
%%
Hey all, the build workflow on {repo} is erroring before any of our steps run:

`Error: Unable to resolve action actions/cache@v2, unable to find version v2`

did something get pinned/removed at the org level?
%%
CI keeps cancelling my jobs halfway through with "The operation was canceled." I'm not pushing new commits so it's not concurrency... any ideas?
%%
Is there an outage with the self-hosted runners? jobs have been queued for 40+ minutes with "Waiting for a runner to pick up this job"
%%
ci failing w/ `ENOTFOUND registry.yarnpkg.com` intermittently. retried 3 times, got green once. network flake on the runners?
%%
the bundle size check is failing on a PR that only changes a README. can someone explain how that check computes the baseline?
%%
hi! our unit tests pass but the job still fails at "Upload coverage" with a 401 from the coverage service. did the token expire?
%%
Build is failing at the webpack step:
`FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory`
Can we bump the memory on the runner or should we set NODE_OPTIONS ourselves in the workflow?
%%
The GH Actions workflow for {repo} says "This workflow has no runs yet" even though it ran yesterday. Did someone disable it?
%%
My branch `{branch}` fails the "check-lockfile" job but I didn't touch package.json. I rebased on main an hour ago. what am I missing
%%
Getting a CI failure I don't understand — the "verify-env" step says a required secret is missing (`SENTRY_AUTH_TOKEN`). Is that something we set per repo or does platform manage it?
%%
Every PR in our repo is failing the "danger" check with `Resource not accessible by integration`. Was a permission changed on the GitHub app?
%%
is the typecheck job supposed to take 25 minutes? it used to be ~6. not failing exactly but it times out at 30 sometimes
%%
CI error on {prlink}: the build-storybook step exits with code 1 but no actual error in the log, the last line is just `info => Building manager..`
%%
Sorry if this is the wrong place. Our Ruby specs job errors out at `db:schema:load` with "PG::ConnectionBad: could not connect to server". Is the postgres service container down on the runners?
%%
anyone else seeing `fatal: could not read Username for 'https://github.com'` in the checkout step? started after lunch
%%
Why does CI run the full e2e suite on a change to a markdown file? it's been failing for an unrelated reason and blocking my docs PR
%%
hello, merge queue keeps kicking our PR out with "build failed" but when I open the pipeline run every job is green. where do I see the actual failure?
%%
the "build (production)" job fails with `Module not found: Error: Can't resolve '@department/shared-utils'`. it resolves fine locally. is CI caching an old node_modules?
%%
Can someone clear the actions cache for {repo}? pretty sure a corrupted cache entry is why `yarn install --frozen-lockfile` keeps failing on every run
%%
We are seeing `Error: The runner has received a shutdown signal` on roughly one in four CI runs. Retrying works but it's slowing the whole team down.
%%
build broke in the pipeline after merging {pr}, but the PR itself was green. something about the merge commit vs the PR head?
%%
The status check "ci/required" is stuck as pending on all our PRs since yesterday. I think it's a required check that no workflow reports anymore?
%%
CI is failing on the "audit" step because of a moderate vuln in a transitive dep. Can we get an exception or do we have to upgrade before merging?
%%
Got a red X on my commit but the failing job is "deploy-preview" which I thought was optional?? it's blocking merge
%%
Trying to understand a CI failure, the job log just says

`Error: Input required and not supplied: token`

we didn't change the workflow file. is a shared reusable workflow expecting a new input now?
%%
Getting SIGKILL in the jest job. ran with --runInBand locally and it's fine. is there a memory limit per container?
%%
our ci has been flaky all week. not the tests themselves, the setup: sometimes checkout fails, sometimes yarn fails, sometimes docker. is there a known infra issue?
%%
Can someone help me read this? CI says `gyp ERR! build error` when installing node-sass. We're trying to move off it but need a green build today.
%%
hi team :wave: the "build" step on {repo} has been failing for every PR since around 10am ET. the error is in a shared step we don't own (`setup-platform-env`). can someone take a look?
%%
just started getting "Resource not accessible by integration" when the workflow tries to comment on the PR. did GITHUB_TOKEN permissions get tightened?
%%
CI failing on rubocop for files I didn't change. did the shared rubocop config get updated?
%%
Question about required checks: our PR can't merge because "build / lint (16.x)" is required but the matrix now only runs 18.x and 20.x. Who can update branch protection?
%%
Hi, getting 'exec format error' when our CI runs the docker image we built. I think the runners switched to arm? Can someone confirm?
%%
Seeing `Failed to save: Unable to reserve cache with key ...` warnings then the job fails on the next step. is the cache full?
%%
The scheduled nightly build on {repo} has failed 3 nights in a row with the same timeout in the "install browsers" step. nobody on our team is around at night to retry it
%%
is there a way to re-run only the failed jobs? the UI re-runs everything and the failure is in the build step that flakes
%%
CI on my fork PR fails because secrets aren't available. How do outside contributors get their PRs built?
%%
`Error: buildx failed with: ERROR: failed to solve: failed to compute cache key` on the image build. no idea what changed, Dockerfile is the same as last week
%%
I'm getting a weird one: `The job running on runner GitHub Actions 42 has exceeded the maximum execution time of 60 minutes.` Our build usually finishes in 12.
%%
build job fails with `certificate has expired` when fetching from the internal npm registry. is the cert on the registry expired or is it our runner?
%%
our pre-merge checks are red because the "sonar" step can't reach the server. is that service down?
%%
CI failing on every PR since the dependabot bump to typescript 5.4. not sure if it's the bump or the runner. anyone seen `TS2307` after that upgrade?
%%
Build on main is broken and it's not from our team, looks like a commit from {user}'s team changed a shared pipeline config. Who should we ping?
%%
why is the `build` job being skipped on my PR? it says "skipped" and then the required check never passes so I can't merge
%%
hey, is there a doc on how to debug CI failures? I keep hitting errors in steps that come from the shared workflow and I don't know where the source lives
%%
the "lint-and-test" workflow errors in 3 seconds with `Invalid workflow file: .github/workflows/ci.yml#L42`. I only added an `if:` condition... did the syntax change?
%%
build failed again :upside_down_face:  same "ECONNRESET" in yarn as yesterday
%%
we pushed a fix for the failing build an hour ago and CI is still running against the old sha?? is the event queue backed up?
""".strip("\n")

BODIES["Pipeline"] = r"""
how do I add a new step to the deploy pipeline for {repo}? we need to run db migrations before the app rolls out
%%
is the pipeline slow today? our merge to main took 55 min to get through to staging, normally ~20
%%
The daily deploy pipeline shows our commit as "waiting for approval" but nobody on our team has the approve button. who approves prod promotions now?
%%
pipeline hasn't picked up my merge from 2 hours ago. main has the commit but the "build and push image" stage never started
%%
Question about the release pipeline: if I merge after the 2pm cutoff does it go in today's deploy or tomorrow's?
%%
We want our service to deploy automatically to staging on every merge instead of waiting for the nightly run. Is that a config change in the pipeline yaml or something platform has to do?
%%
the pipeline for {repo} is stuck on "Waiting" at the promote-to-prod stage since yesterday. nothing is failing, it just isn't moving
%%
can we get a manual trigger for deploys? we sometimes need to redeploy the same sha to staging after a config change
%%
hi! is there any documentation on the stages of the deployment pipeline? I'm trying to explain to our PM why a merged PR takes a day to reach production
%%
The pipeline ran twice for the same merge commit and the second run cancelled the first mid-deploy. Is concurrency configured per repo?
%%
How do I skip the e2e stage in the pipeline for a hotfix? we have an urgent copy fix and e2e takes 40 minutes
%%
pipeline question: our image gets built in CI and then rebuilt again in the deploy pipeline. is that intentional? seems wasteful and they sometimes differ
%%
hey, the nightly deploy didn't run last night at all. no failed run, no run at all. was the schedule changed?
%%
Who owns the pipeline templates? we need a change to the shared build-and-deploy template so it passes a build arg through to docker
%%
Could someone explain the difference between the "release" workflow and the "deploy" workflow? Both show up on our repo and I'm not sure which one actually ships to prod
%%
can i see somewhere which commit is currently in each stage of the pipeline? like a "what's on staging vs what's queued for prod" view
%%
the pipeline marked our deploy as succeeded but the image tag in the manifest repo was never bumped. is the "update manifests" step broken?
%%
Hey, our team wants to move off the legacy Jenkins pipeline to the GitHub Actions one. is there a migration guide or someone we can pair with?
%%
the approval step in the pipeline timed out overnight and now the run is dead. do I have to re-run the whole thing from build?
%%
is it possible to deploy a single service from the monorepo without the pipeline deploying all of them? every merge triggers 9 deploys
%%
We added a new env var to the pipeline config but it isn't making it into the container. Is there a separate place where pipeline secrets/vars need to be registered?
%%
pipeline question - what triggers the content build stage? it ran 4 times this morning and we're not sure why
%%
Deploy pipeline for {repo} is queued behind another team's run for an hour. Is there a global lock on the pipeline? can we get our own lane?
%%
how long are build artifacts kept after a release? we need the one from last tuesday to compare against
%%
The "sync to argo" stage takes forever and then says success, but argo still shows the old revision. is the pipeline talking to the right cluster?
%%
release stuck again? :hourglass:
%%
we'd like the pipeline to post to our team channel when our app gets promoted to prod. is there a hook or a setting for notifications?
%%
Is there a deploy freeze this week? someone mentioned a release freeze but I can't find an announcement
%%
Hi platform, can someone add {repo} to the auto-deploy list? right now it only deploys when someone from platform kicks it manually
%%
the pipeline's "smoke test" stage is running against prod instead of staging for us. pretty sure the target url is misconfigured in the shared template
%%
Why did the pipeline roll back our deploy automatically? there's no error in the log, it just says "rollback initiated" after the canary stage
%%
Can we reorder the pipeline so that migrations run after the canary instead of before? We had a migration lock issue last week because of the ordering
%%
question: when the pipeline says "deployed to staging", is that after the health checks pass or just after the manifests were applied?
%%
our merge went through but the pipeline built it from the wrong branch (release/2026-05 instead of main). how is the source branch picked?
%%
Is there a way to pin a service so the daily pipeline doesn't deploy it? we have a data migration in flight and want to hold our service at the current version for 2 days
""".strip("\n")

BODIES["Failed Deployment"] = r"""
deploy to staging failed for {app}, looks like pods are in CrashLoopBackOff. we didn't change anything infra related
%%
our prod deploy failed halfway and now half the pods are on the new version and half on the old. can someone help roll back?
%%
Hi, the deploy of {repo} to prod failed with `ImagePullBackOff`. the image tag exists in the registry as far as I can see
%%
Deployment failed in the pipeline: `rollout status timed out after 600s`. Is there a way to see why the new pods never became ready?
%%
our change is merged and the pipeline says green but it's not on production. checked with a hard refresh, still the old version. did the deploy actually go out?
%%
{app} is throwing 502s on staging since the 11:00 deploy. the health check endpoint is returning 200 when I hit it directly, so not sure what the LB is unhappy about
%%
URGENT: prod deploy of {app} broke the landing page, we're seeing a blank screen for users. need a rollback asap :rotating_light:
%%
the daily deploy didn't include our merge from yesterday even though it was in before the cutoff. can someone check why it was left out?
%%
deploy failed at the migration step: `PG::DuplicateColumn: ERROR: column "status" of relation "claims" already exists`. I think the migration ran partially last time. how do we recover?
%%
Hey, deploy to dev is failing with "error validating data: ValidationError(Deployment.spec.template.spec.containers[0].resources)". we updated our helm values yesterday, maybe that?
%%
staging deploy failing again for {repo} :face_palm:
%%
After the deploy the app boots but every request 500s with `KeyError: 'REDIS_URL'`. Did a secret get removed from the staging environment during the deploy?
%%
we need to roll back prod to yesterday's release — today's deploy introduced a bug in the claim status page. what's the process, do we revert the PR or can platform redeploy the previous image?
%%
Our deploy keeps failing the post-deploy smoke test on `/health`, but the app logs show it started fine. how long does the smoke test wait before giving up?
%%
deployment to prod went out but the CDN is still serving the old JS bundle. cache invalidation step failed?
%%
The deploy job errored with `Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress`. nobody on our team is deploying. can someone clear the helm lock?
%%
The 2pm deploy failed for everyone? the pipeline shows red and our change and two other teams' changes aren't out
%%
Hey! We deployed a hotfix to prod about 20 min ago and the feature flag changes didn't take effect. Not sure if the deploy finished or if it's a flag caching issue
%%
My service deployed to staging and then immediately got OOMKilled. Same image runs fine locally with 512MB. what are the memory limits in staging vs prod?
%%
Seeing `CreateContainerConfigError: secret "claims-api-env" not found` on the new pods. The secret exists in staging but maybe not in the new namespace?
%%
deploy failed, logs say `Error: failed to create resource: admission webhook "validate.kyverno.svc" denied the request`. is there a new policy in the cluster?
%%
the static site deploy failed with "AccessDenied" on the S3 sync step. was the deploy role changed?
%%
we shipped the new version of {app} to prod this morning and error rates doubled, we'd like to revert. who can do a rollback on a weekend? :pray:
%%
Deployment failed: canary analysis said the new version had a higher 5xx rate and aborted. But the 5xx are from a dependency that's been flaky all day. Can we override?
%%
Is there a known problem with deploys right now? three of our last four attempts to staging failed at different steps
%%
the prod deploy succeeded per the pipeline but our version endpoint still returns the sha from last week. I think it deployed to the wrong cluster?
%%
Failed deployment on {repo}: the job ends with `Error: Kubernetes cluster unreachable: the server has asked for the client to provide credentials`.
%%
our deploy went out but the background workers didn't restart so they're running old code against the new schema. is restarting workers part of the deploy or separate?
%%
Can someone look at our failed deploy? it's the third time today. The app starts, then the readiness probe fails after ~90s. Nothing in our logs explains it
%%
deploy broke the sitemap, all pages under /resources return 404 on prod. worked fine on staging. rollback please?
%%
The release that went out at 4pm has the wrong build of the frontend — it's missing the commits from the last two days. something off with the build artifact that got deployed?
%%
we deployed the new db migration and the deploy failed on a lock timeout. the table is big. is there a recommended way to run long migrations during deploy?
%%
Hello, after today's deployment users can't submit the form — POST returns 503. staging worked. I don't know if this is our code or the deploy. any help appreciated!
%%
deploy of our lambda failed with `CodeStorageExceededException`. old versions piling up?
%%
prod is down for us after the deploy :scream: `/my-account` returns 500 for every user. need someone to roll back
%%
staging deploy failed because the new image is 3GB and the pull timed out. we know, we're fixing the image size, but can someone bump the pull timeout just for today?
%%
deploy rolled out but it seems only 1 of 3 replicas is on the new version. did the rollout get paused?
%%
We need to understand why our deploy failed last night so we can write the incident summary. Where can I find the deploy logs from ~2am UTC?
%%
the deployment to prod failed right at the end, after the switchover. so now I'm not sure which version is serving traffic. how do I check?
%%
can someone redeploy {app} to staging? the last deploy failed half way and left it in a broken state, our QA is blocked
""".strip("\n")

BODIES["Test Failure"] = r"""
cypress spec `claim-status.cypress.spec.js` passes locally every time but fails in CI about half the time. is there something different about the CI browser?
%%
our unit tests fail on CI with a timezone-related assertion (expected 2026-04-02, got 2026-04-01). what TZ do the runners use?
%%
flaky test alert: `should submit the form` in {repo} is failing intermittently with "Timed out retrying after 4000ms: Expected to find element". started this week
%%
jest snapshot tests failing on CI after the design system bump. do we just update the snapshots or is something else going on?
%%
e2e tests failing for everyone on main? the login helper seems broken: `cy.login is not a function`
%%
the accessibility test (axe check) fails on a page we didn't touch. is it a new rule in the shared test config?
%%
getting `ReferenceError: TextEncoder is not defined` in our jest tests but only in CI, local node version is the same
%%
Our rspec suite has one test that only fails when run in the full suite, never in isolation. CI runs it in random order. any tips on tracking down order-dependent failures on the runners?
%%
A test unrelated to my change is failing on my PR (`profile/address.unit.spec.jsx`). Is it a known flaky one? can I just re-run?
%%
All the mock API tests started failing with ECONNREFUSED 127.0.0.1:3000. did the mock server step get removed from the test job?
%%
e2e failing with `Error: Cypress failed to verify that your server is running`. the server starts fine locally in ~10s
%%
test failure on main: `expected 200, got 403` in the contract tests for the claims endpoint. I think a fixture is stale
%%
Hey, there's a test in the shared suite (`platform-utilities.unit.spec.js`) that's been failing on every PR since yesterday. It's not ours but it's blocking our merge.
%%
Playwright tests fail in CI with "browserType.launch: Executable doesn't exist". the browser install step says it succeeded?
%%
Visual regression tests are failing because of 1px differences in font rendering on the CI machines. can the threshold be adjusted?
%%
The unit test coverage check says 79.8% and fails at the 80% threshold even though I only deleted dead code. coverage went down because the denominator changed lol. can we get an exception?
%%
our e2e suite takes 45 min and times out on CI before finishing. tests themselves pass. should we split into more containers?
%%
tests failing after the node 20 upgrade: `fetch is not defined` in a bunch of older specs
%%
One of our mocha tests fails only on Mondays lol. it's a date calc around weekends. I'll fix it but the failure is blocking an unrelated PR, can someone force merge?
%%
Seeing `Warning: An update to X inside a test was not wrapped in act(...)` turn into a failure now. Did someone make console warnings fail the test run?
%%
integration test against the staging API fails in CI but passes from my laptop. is the CI runner not allowed to hit staging?
%%
test suite red on {repo} :red_circle: `mockApi.setup` undefined in 12 specs
%%
E2E test for the sign-in flow broke, it seems the test user can't log in anymore in CI. could the test account have expired or is it the test that's wrong?
%%
Unit tests fail on the CI only with `Cannot find module '../../../../src/platform/testing/unit/helpers'`. someone moved the helpers?
%%
the cypress tests fail at the very first `cy.visit` with a 404 on the review environment. tests are fine on localhost
%%
After rebasing, 30 unit tests fail with `SyntaxError: Cannot use import statement outside a module`. babel config changed upstream?
%%
hi team, our test job is passing but then reports failure because the junit report upload fails. is it a test failure or a CI problem? not sure who to ask
%%
flaky `should display the alert` test, fails about 1 in 5 runs, always on the same assertion. we've seen it on 3 PRs today
""".strip("\n")
# ---------------------------------------------------------------------------
# Access / security / onboarding family
# ---------------------------------------------------------------------------
BODIES["Access Request"] = r"""
can I get added to the GitHub org? my username is {ghuser}. new on the {team} team
%%
need AWS console access for staging, I get "You are not authorized to perform this operation" when I try to look at the {app} logs group
%%
hi! requesting write access to {repo} for {user}, they joined our team last week
%%
Could someone give me access to Sentry? I'm on {team} and need to see errors for our app. I have a login but no projects show up
%%
I lost access to the SOCKS proxy after my laptop got reimaged. how do I get my key re-added?
%%
Access request: Datadog read access for 3 new engineers on {team}: {user}, {user2} and one person who isn't in slack yet
%%
how do I request access to the prod read-only database replica? our analyst needs to run a couple of queries for a report
%%
please add me to the `{team}-engineers` GitHub team so I can request reviews, thanks!
%%
I'm getting 404 on {repo}, pretty sure that means I don't have access. who approves access to private repos?
%%
can our new designer get access to the staging environment? they need to click through the flow before research sessions next week
%%
Hi! I need kubectl access to our namespace in the dev cluster. Is there a form for this or do I ask here?
%%
requesting access to argo so I can see our deploys. I'm the tech lead on {team}
%%
My GitHub access to the org got removed when my contract moved to a new company. Same person, same username, how do I get reinstated?
%%
how do I get into the VPN? onboarding doc says to ask in this channel
%%
need the "maintain" role on {repo} so I can manage labels and branch protection. currently I'm only write
%%
Hi, a new dev starts monday on our team. what does she need to request to get going? GitHub, AWS, Sentry... is there one form that covers all of it?
%%
can someone remove {user} from our team's GitHub group and AWS access? they rolled off the project last friday
%%
I can log into Grafana but all the folders say "Permission denied". do I need to be in a specific group?
%%
access request for pagerduty: we're setting up an on-call rotation for {app} and need 4 people added
%%
can't access the jenkins UI anymore, it says my account is not authorized. was there a cleanup of inactive users?
%%
requesting admin on our team's Sentry project so I can set up alert rules
%%
Hello platform :wave: our PM needs read access to {repo} to follow along with PRs, no write needed. what's the process?
%%
I requested AWS access via the form 5 days ago and haven't heard anything. who do I follow up with?
%%
I need to be able to SSH into the bastion for staging. Doc says I need to submit my public key somewhere?
%%
Getting `AccessDenied: User: arn:aws:sts::123456789012:assumed-role/dev-readonly/{ghuser} is not authorized to perform: s3:GetObject`. Can I get the bucket added to my role, or a different role?
%%
need access to the shared 1Password vault for our team's service credentials
%%
can I be added to the Slack user group @platform-{team} so I get the support pings?
%%
my aws sso session keeps saying "No access" for the prod account. I only need read-only for incident reviews
%%
Hi there, requesting Datadog access for our new QA engineer (jane.doe@example.gov). thanks in advance
%%
I'm a new contractor with {team}. I have my PIV / smartcard set up, but the GitHub org invite never came. how do I get it resent?
%%
request: add the bot account `{team}-ci-bot` to {repo} with write access so our release workflow can push tags
%%
can someone grant me access to the content API tokens? I'm building a preview tool for editors and need a read token for staging
%%
does anyone know who can give access to the analytics dashboards in Domo? our PM was told to ask platform
%%
I got added to the GitHub org but I still can't see the internal repos. is there a team I also need to be in?
%%
access request for prod logs: our team is on call this month and none of us can see prod in CloudWatch
%%
what's the turnaround on access requests these days? our new dev has been waiting since last tuesday and can't do anything without repo access
%%
I need elevated access for a one-time data fix in staging. who approves break-glass access?
%%
Can someone restore my access to the dev cluster? My cert expired and the renewal script errors with "unauthorized"
%%
hey, need to get the {team} team added as code owners on the new folder in {repo}, and we need write access to make that work. who sets up the team permissions?
%%
requesting access to the staging Redis for debugging. read only is fine
%%
can u add me to the jira project for platform requests? i can see the board but can't comment
%%
I'm rolling onto the {team} team, need the same access {user} has. is there a way to clone someone's access?
%%
hi can I get an account on the CMS? I'm a content writer on {team} and need to update our landing page copy
%%
Quick one: who can approve my request for the "deployer" role? I'm listed as backup on-call and can't trigger redeploys
%%
Please revoke access for {ghuser} — they left the company today. GitHub, AWS, Sentry, all of it.
%%
Do we need a separate access request for the dev and staging AWS accounts, or does one request cover both?
%%
I'm getting "Your account does not have access to this organization" when I try to sign into GitHub with SSO. I was in the org last week!
%%
how do I get access to the feature flag admin (Flipper UI)? I need to toggle our flag in staging
%%
access to the SOCKS proxy please, so I can hit the internal staging endpoints from my laptop. I already sent my ssh public key to {user}
%%
new team member needs access to our private slack channels and github. who do I send the list to?
""".strip("\n")

BODIES["Testing Tool Access"] = r"""
can I get a TestRail account? I'm the new QA on {team} and need to write test plans
%%
requesting BrowserStack access for our QA engineer, we need to test on older iOS safari
%%
who manages seats for the Cypress Cloud dashboard? I can't see our project's recorded runs, it says I'm not a member of the org
%%
need access to Percy so I can approve visual diffs on our PRs. right now the approve button is greyed out
%%
Our TestRail project was archived and now nobody on the team can get in. can someone restore access?
%%
how do I get a license for the load testing tool? we want to run a load test before our launch
%%
can {user} get added to BrowserStack? our team's seats are all used so maybe someone inactive can be removed
%%
I'm a new tester, need access to TestRail, BrowserStack and the Cypress dashboard. is there one request for all testing tools?
%%
I can log in to TestRail but I don't have permission to create test runs, only view. can someone give me tester role?
%%
access request: Sauce Labs account for automated cross-browser tests from CI. we'd need an API key for the team
%%
My BrowserStack access stopped working, it says my user was deactivated. I used it last month!
%%
who is the admin for the accessibility testing tool? I need an account to run scans on our pages
%%
can we get a service account for the Cypress dashboard so CI can record runs for {repo}? we need a record key
%%
requesting access to the screen reader testing lab machines (remote) for next week's a11y testing
%%
hi all, is there a form for requesting TestRail access? the link in the onboarding doc 404s
%%
Need someone to add me to the Percy project for {repo}, I got invited but the invite expired
%%
any chance we can get more BrowserStack seats for {team}? we have 2 testers sharing one login and keep kicking each other out
%%
can I get read access to the load test results? my teammate ran the test but I can't open the report link, says unauthorized
""".strip("\n")

BODIES["Security"] = r"""
we got a dependabot alert for a critical vuln in `axios` in {repo}. is there a platform-wide plan or should each team upgrade?
%%
I accidentally committed an API key to a public branch in {repo}. I've already force-pushed it out but I know that's not enough. what do I do next?
%%
Is there guidance on storing secrets for our new service? we were going to put them in the repo as env files but that feels wrong
%%
the security scan on our PR flagged an "XSS sink" in a component we didn't change. is that a false positive or should we fix it?
%%
hi, pen test report came back with 3 medium findings for {app}. who on platform helps prioritize / sign off on remediation?
%%
Do we need to do anything for the new CVE in openssl? our base images are the platform-provided ones
%%
Need to rotate the database credentials for {app} after a team member left, what's the process?
%%
question about the content security policy: we need to load a script from a new vendor domain. who approves CSP changes?
%%
Got a phishing-looking email asking me to re-authenticate to GitHub via a weird link. reporting here since not sure where else. was this legit?
%%
we noticed PII (full SSNs) in our application logs in staging. we've fixed the logger but what do we need to do about the existing log data?
%%
Our service needs to call a third-party API — do we need a security review before going to prod? what's the process and timeline?
%%
is MFA required for the service accounts too? our CI bot can't do MFA obviously
%%
Snyk is blocking our merge on a high severity issue in a dev dependency that never ships to prod. can we get an exception?
%%
someone shared a prod credential in a public channel by mistake :grimacing: what's the rotation process and who do I tell?
%%
For the ATO paperwork, does platform provide the controls documentation for logging and access control or does each team write its own?
%%
we want to enable CORS for a partner domain on our API. is that a security review thing?
%%
how often do we need to rotate the signing keys for our JWTs? is there a standard?
%%
The container scan found 40 vulnerabilities in our image, most in OS packages. is there a newer hardened base image we should use?
%%
question re: session timeouts — security says 15 min idle, product wants 30. who makes the call?
%%
We think someone is scraping our endpoint, tons of requests from a few IPs. can platform add rate limiting or block them at the WAF?
%%
Should we report it to security if a user emailed us their own SSN in a support ticket? it's now in our inbox
%%
our secret scanning alert says a token was found in an old commit from 2021. it's already revoked. how do I close the alert properly?
%%
need a security review for a new file upload feature (PDFs up to 25MB). do we have a malware scanning service we're supposed to use?
%%
is the security team aware that the staging environment is publicly reachable without the proxy? I could load it from my phone on cellular
%%
what's the policy on third-party npm packages? we want to add a small library with 40 weekly downloads and the scanner flagged it as "low reputation"
%%
Our team lead asked us to audit who has access to our prod secrets. is there a report somewhere or do I have to ask for it?
""".strip("\n")

BODIES["Orientation/Onboarding"] = r"""
Hi everyone! I just joined {team} as a frontend engineer. is there an orientation session or a "start here" doc for the platform?
%%
our team is new to the platform (new contract starting this month). who do we talk to about onboarding and kickoff?
%%
when is the next platform orientation? I missed the one last week
%%
new here :wave: what's the best way to learn how deploys, review instances and the support channel work? a lot of links in the onboarding doc are dead
%%
is there an onboarding checklist for new engineers? I want to make sure I request all the right access and read the right docs
%%
Hi! I'm a product manager starting on {team}. Is there a platform overview for non-engineers? like how releases work and what the collaboration cycle is
%%
We have 5 new people starting next week across design and eng. Can someone from platform do an intro session with them?
%%
I'm onboarding a new dev and realized our local setup instructions are out of date. is the platform "getting started" guide current?
%%
what are the expectations for teams new to the platform? like do we have to go through some kind of intake before we build?
%%
hello! new team member here. where do I find out which platform team owns what? I never know who to ask
%%
is there a recording of the platform orientation? our new folks are in a different timezone and can't make the live session
%%
our team is transitioning from another vendor and we're inheriting {repo}. is there a handoff / onboarding process with platform?
%%
first week on the job, trying to get the monorepo running locally and I'm lost. is there someone who does onboarding pairing sessions?
%%
Can you add our new team to the platform onboarding tracker? we were told to post here to get started
%%
I'm new and a bit overwhelmed by the number of slack channels. which ones should an engineer on a product team join?
%%
question for whoever runs orientation: do designers need to attend the engineering orientation too or is there a separate one?
%%
we're a brand new team spinning up a new product. what does the platform expect from us in the first 30 days?
%%
Hi :wave: starting on {team} today. my manager said to introduce myself here and ask for the onboarding docs
""".strip("\n")
# ---------------------------------------------------------------------------
# Environments / review instances / PR review
# ---------------------------------------------------------------------------
BODIES["Environments"] = r"""
is staging down? getting a 503 on every page
%%
dev environment has been super slow all morning, pages take 20+ seconds to load. anyone else?
%%
staging data looks like it was reset overnight, all our test claims are gone. was there a refresh?
%%
how do I add a new environment variable to staging for {app}? it's not a secret, just a feature config value
%%
The sandbox environment is pointing at the old version of the API. can someone update it, or tell me how to point it at the current one?
%%
what's the difference between dev and staging? which one should our QA be testing against before launch?
%%
SSL cert error on the staging url: "NET::ERR_CERT_DATE_INVALID". did it expire?
%%
hey, our feature flag is enabled in staging but disabled in dev and we can't figure out where the dev value comes from. is there a per-env config somewhere?
%%
staging isn't reachable from the office network since this morning, but works over the proxy. did a firewall rule change?
%%
Can we get a dedicated environment for load testing? running it against staging affects every other team
%%
the prod-like "preview" environment is showing content from last month. is it supposed to sync automatically?
%%
our staging backend can't reach the external vendor API, times out. it works in dev. is there an egress allowlist per environment?
%%
question: do we have a UAT environment? a stakeholder wants to review the feature before it goes to prod and they don't have proxy access
%%
the dev env keeps returning "upstream connect error or disconnect/reset before headers". started after the cluster maintenance last night
%%
staging env vars for {app} look different from what's in our config repo. who else can change them?
%%
is the staging database shared by all teams? we want to run a migration and don't want to break anyone
%%
how do I find out what version of each service is running in staging right now?
%%
Hi, the staging API returns data from the mock vendor but we need the real vendor sandbox for end-to-end testing. can staging be switched or is there another env?
%%
staging is very flaky today, sometimes 200 sometimes 502 for the same request. is something being restarted?
%%
can the dev environment be kept up during the weekend? our offshore tester works saturdays and it's been down every saturday
%%
the redis in staging is full (OOM command not allowed). can someone flush it or bump the size?
%%
Our app works on localhost and on prod but breaks only on staging, seems like staging has a different CORS setup. who owns the staging gateway config?
%%
hi! we need a new subdomain for our app in dev and staging. what's the process?
%%
dev is down :(
%%
Is there a status page for the environments? I keep coming here to ask "is staging down" and I'd love to just check somewhere
%%
what time zone is the staging cron running in? our scheduled job fires at weird times there compared to prod
%%
The staging environment uses a really old copy of the content. Can we get the nightly content sync turned back on?
%%
our env config needs a new secret in staging and prod (third party API key). where do we put it and who can apply it?
%%
is the scheduled maintenance window for staging still tuesdays 8pm ET? our demo tomorrow depends on it being up
%%
we need to test a change to the header in an environment that matches prod exactly. is staging close enough or is there a better option?
%%
The sandbox env has been returning stale responses for the facilities endpoint for 2 days. is the cache ever cleared there?
%%
dev-api returns 401 for every request since the auth service update. are dev tokens different now?
%%
can we get the staging environment scaled up for our user research sessions on thursday? last time it was painfully slow with 6 participants
%%
hey, what's the url for the staging version of the API docs? the old one redirects to a login page now
%%
the staging CMS is down? editors get a gateway timeout and our content preview links are broken too
""".strip("\n")

BODIES["Review Instance"] = r"""
review instance for my PR never came up. the bot comment says "deploying" and it's been 2 hours
%%
the RI link on {prlink} gives a 404
%%
is there a way to keep a review instance alive longer than 7 days? our stakeholder review is next week
%%
my review instance loads the frontend but every API call fails. is it pointed at the wrong backend?
%%
how do I rebuild a review instance without pushing a new commit? the first deploy of it failed
%%
review instances seem to be broken for everyone today? ours and two other teams' haven't deployed
%%
Can review instances use real staging data? our RI is showing an empty dashboard because the test user has no data there
%%
Hi! the review instance URL for {branch} loads but it's showing main's code, not my branch. stale build?
%%
The review instance for {pr} is asking for a password. is there a shared one or did something change?
%%
Can our designer access review instances without the SOCKS proxy? she needs to check the layout on her phone
%%
review instance bot didn't comment on my PR at all. do I need a label to trigger it?
%%
our RI is extremely slow, like 30s per page. is it sharing resources with everything else?
%%
when I open the review env I get "This site can't be reached". tried the proxy, still nothing
%%
Hello, is there a limit to how many review instances a team can have running at once? ours stopped creating new ones
%%
the review instance was working yesterday and today it's gone. did it get cleaned up? the PR is still open
%%
can a review instance be created for a PR from a fork? our external contributor's PR doesn't get one
%%
RI is up but the content pages are all 404, only the app pages work. does the review instance build include content?
%%
is it possible to point a review instance at a specific backend branch? we need to test a frontend PR against an unmerged API change
%%
review instance stuck on "pending" :hourglass_flowing_sand:
%%
Do review instances support feature flags? I need to turn our flag on in my RI only without affecting staging
%%
what's the naming pattern for review instance URLs? I want to send the link to QA before the bot comments
%%
The RI deploy step fails with "quota exceeded" on our PR. how do we free up quota?
%%
our review instance doesn't have the mock API turned on so we can't test anything. how do I enable mocks for an RI?
%%
is there a way to get a review instance for a PR in the content repo too, or only the app repo?
%%
the review instance for our PR shows a certificate warning in chrome, is that expected?
%%
Hey team, our review instances keep getting torn down after a few hours instead of the usual week. was the TTL changed?
%%
Where do I find the logs for my review instance? the page renders blank and nothing shows in the browser console
%%
can I share a review instance link with someone outside the org for a usability session? what are the access rules?
""".strip("\n")

BODIES["PR Review"] = r"""
could someone from platform review {prlink}? it touches the shared webpack config so it needs your approval :pray:
%%
PR needs a codeowner review from platform, been waiting 3 days: {prlink}
%%
hi! requesting a review on {prlink}. small change, just updating the CODEOWNERS for our folder
%%
Who's on PR review rotation this week? we have a PR that's been open since monday
%%
can I get eyes on {prlink}? it's blocking our release tomorrow
%%
our PR is approved by our team but still needs "platform-frontend" approval. is there a way to see who's in that group so I can ping them directly?
%%
PR review request: {prlink}. adds a new route to the shared router, tested on a review instance
%%
the review on {prlink} was approved and then dismissed automatically after I rebased. now I need another approval :weary:
%%
can someone take a look at my PR? {prlink} — it's a one line fix for a typo in a shared component
%%
Is there an SLA for platform PR reviews? we've been waiting 4 business days and it's the last thing before launch
%%
requesting review from the devops side on {prlink}, it changes the terraform for our service's bucket
%%
hey could someone re-review {prlink}? addressed all the comments from yesterday
%%
{prlink} needs an approval from someone with admin to merge past the required checks (the failing check is a known flake). can someone help?
%%
Hi platform folks, PR review please: {prlink}. It bumps a shared dependency so I'd like someone who knows the build to sanity check
%%
The reviewer on our PR left "request changes" and then went on vacation. how can we get that cleared?
%%
need a second reviewer on {prlink}, first approval is from my teammate and the rules require one from outside the team
%%
pr review pls {prlink} :pray:
%%
can someone from the design system team review {prlink}? we're adding a variant to the card component
%%
PR to update the shared eslint rules: {prlink}. would love a review before it gets stale, it conflicts easily
%%
I opened {prlink} to add our team's new app to the registry. who needs to approve those?
%%
Is anyone available to review a PR today? {prlink}. it's a security patch so we want it out quickly
%%
github says my PR "requires review from code owners" but the codeowner team has 1 person and they're out. what do we do?
%%
hi, friendly nudge on {prlink} :slightly_smiling_face: it's been in the review queue since last week
%%
our PR changes a GitHub Actions workflow in the shared folder, who should review? {prlink}
%%
could someone who knows the forms library look at {prlink}? it changes how we handle the prefill transformer
%%
Requesting platform review on {prlink}. Note: CI is red because of the known cypress flake, everything else passed
%%
can you review a draft PR or do we have to mark it ready first? want early feedback on the approach: {prlink}
%%
two PRs waiting on platform review for our launch: {prlink} and the follow-up that depends on it. launch is thursday :grimacing:
%%
PR review request — {prlink}. this is the change we discussed in office hours yesterday
%%
how do I request a review from platform? I tagged the team on the PR but nobody got assigned
%%
Looking for a review on {prlink}, it adds the new monitoring config for our service
%%
can someone merge {prlink}? it's approved but I don't have merge rights on that repo
%%
gentle ping on {prlink}, approved by content but still needs an engineering review
%%
the PR template asks for a platform reviewer for anything in src/platform, ours is {prlink}. whoever is on review duty :pray:
%%
Need a PR review for a database migration: {prlink}. it adds an index on a big table so would like a second pair of eyes on lock behavior
%%
I think my PR got lost, nobody was auto-assigned: {prlink}
%%
PR {pr} needs review, sorry for the size, most of it is generated snapshot files
%%
hey all, could someone review {prlink} when they have a sec? thanks!!
%%
Can a platform person approve {prlink}? It updates the node version in our Dockerfile to match the runners
%%
we have a PR that changes the API schema, who needs to review it besides our team? {prlink}
""".strip("\n")
# ---------------------------------------------------------------------------
# Test data / testing tools / logging / dashboards
# ---------------------------------------------------------------------------
BODIES["Test Accounts/Data"] = r"""
need a test user in staging that has at least 2 pending claims and a dependent. is there a list of test accounts somewhere?
%%
the staging test account we use for e2e (`vets.user+227@example.gov`) can't log in anymore, says account locked. can it be unlocked?
%%
Hi! Does anyone have a test account with a rated disability in staging? we're testing the new payments view
%%
how do I get credentials for the identity provider sandbox test users? the spreadsheet link in the docs is dead
%%
can someone create a test user with an address outside the US? we need to test the international address flow
%%
our test data in staging got wiped, the user {user} set up has no appointments now. can it be re-seeded?
%%
is there a test account that has MFA turned off? automation can't handle the OTP
%%
requesting a batch of 20 test accounts for user research sessions next week, ideally with different benefit types
%%
Test user 36 returns a 500 on the profile endpoint in staging. is the data for that user corrupted?
%%
where does the mock data for local dev come from? I want to add a user with a specific military history
%%
I need a test account that's LOA1 (not identity verified) to test the upgrade prompt. all the ones I find are LOA3
%%
can we get test accounts that work in the review instances too? the staging ones get rejected there
%%
hello, the test accounts spreadsheet says password is in the vault but I don't have access to the vault. can someone DM me the creds for user 12?
%%
does anyone have a test veteran with a prescription that can be refilled? rx refill testing is blocked
%%
is it ok to put real looking data in the mock responses? e.g. SSN 000-00-0000 patterns. want to check before I commit fixtures
%%
need test data for the debt portal: a user with 3 active debts and one in collections. does that exist in staging?
%%
the test user for facilities has the wrong VA facility attached (should be 983, is 984). can someone update the test data?
%%
hi :wave: anyone know the phone number for the sandbox ID verification test flow? it asks for a phone and I don't want to use my own. (tried 555-0100, rejected)
%%
how often is the staging test data refreshed from the fixtures? our changes to the seed file aren't showing up
%%
can someone share a test user with no email on file? we're testing the "add email" nudge
%%
test account request: need a user that is a caregiver and a veteran at the same time
%%
we need synthetic data that looks like a real claims history (10 years, multiple decisions) for a demo. is there a generator or existing dataset we can use?
%%
The mock user's `birth_date` is in the future lol, breaks our age calculation. where do I fix the mock data?
%%
are test accounts shared across teams? ours keeps getting its settings changed by someone else mid-test
%%
requesting a dedicated test account for our automated tests so they stop colliding with manual QA
%%
our test user's session expires instantly in staging. user is vets.user+41. is there a flag on that account?
%%
Can someone reset the password on the shared sandbox test user? jane.doe@example.gov / it says expired
%%
is there a test account with an inbox full of secure messages? need more than 50 for pagination testing
%%
who maintains the test user list? several accounts on it no longer exist in staging
%%
need test data for an edge case: a user with two active addresses (mailing and residential) that differ. any existing account like that?
""".strip("\n")

BODIES["Testing Tools"] = r"""
what's the recommended e2e tool for new apps, cypress or playwright? seeing both in the monorepo
%%
how do I run just one cypress spec locally with the mock API? the docs only show running the whole suite
%%
Is there a shared helper for logging in a test user in e2e tests? I keep copying the same 30 lines
%%
is there a way to run the axe accessibility checks as part of our unit tests instead of only in e2e?
%%
How do people mock the feature flag service in unit tests? trying to test both states of a toggle
%%
We want to add visual regression testing to our app. is Percy the supported tool or is there something else?
%%
what version of cypress does the platform support? we want to upgrade for the new component testing
%%
is there a doc for writing contract tests against the API? we'd like to catch breaking changes earlier
%%
can the mock API server be used for the review instances too or is it local only?
%%
how do I record a test run to the cypress dashboard from my laptop? I want to share a failing run with the team
%%
Looking for advice on testing tools for load testing our API. k6? locust? does platform have a preference or existing setup?
%%
how do I generate a test coverage report for just my app in the monorepo? the default command runs everything
%%
is there a way to test emails locally? we send a confirmation email and want to see what it looks like
%%
which screen readers / browsers should we include in our test plan? is there a platform-supported matrix?
%%
does the testing library setup support React 18 concurrent features? some tests behave differently since the upgrade
%%
Is TestRail still the tool we're supposed to use for manual test plans? heard some teams moved to a spreadsheet
""".strip("\n")

BODIES["App Logging/Monitoring"] = r"""
where can I see logs for {app} in prod? I can find staging in CloudWatch but not prod
%%
Sentry is not picking up errors from our new app. we added the SDK, is there a DSN we need from platform?
%%
how do I add structured logging to our rails service so it shows up properly in Datadog? right now everything is one big string
%%
we're getting paged for an alert that fires every night at 2am and auto-resolves. can someone help us tune it?
%%
logs from our sidekiq workers stopped showing up in Datadog yesterday around 4pm. the workers are running
%%
can we set up an alert when our error rate goes over 5%? not sure if that's a Sentry thing or Datadog thing
%%
Sentry is flooded with `ChunkLoadError` from our app after each deploy. is there a recommended way to filter those?
%%
what's the log retention in prod? we need logs from 45 days ago for an investigation
%%
how do I add a custom metric (StatsD) for a counter in our controller? want to track how many submissions fail validation
%%
we noticed our logs include full request bodies with personal info. what's the approved way to filter fields from logs?
%%
our app is throwing 500s in prod but nothing shows up in Sentry. how do I check if the sentry integration is working?
%%
I want to get alerted in our team channel when the background job queue backs up. how do we configure an alert that posts to slack?
%%
logs in Datadog have the wrong service tag for {app}, they show up under `vets-api` instead of our service name
%%
Can someone explain how to trace a single request across the frontend, the API and the upstream? we have a request id but can't find it everywhere
%%
Sentry shows the minified stack trace, source maps aren't being uploaded. is that a build setting?
%%
how do we set up uptime monitoring for a new endpoint? want to know when it goes down before users tell us
%%
our alert for slow responses keeps firing because of one endpoint that's expected to be slow. can we exclude it?
%%
hey, is APM enabled for our service? I don't see any traces for it
%%
Where do the logs from the `console.log` in the frontend go in prod, if anywhere?
%%
the monitor for {app} has been in "No Data" status for a week, the app is fine. did the metric name change?
%%
we need audit logging for an admin action (who changed what, when). is there a platform service for that or do we roll our own?
%%
getting lots of `Net::ReadTimeout` errors in Sentry from our upstream calls, trying to figure out if it's us or them. where do I see upstream latency?
%%
can we get sentry alerts routed to our own slack channel instead of the shared alerts channel?
%%
The log volume from our service is huge and apparently costs a lot. how do we reduce log level in prod only?
%%
Our error monitor fired 30 times over the weekend and nobody saw it because it pages the old on-call schedule. how do I update who gets notified?
%%
logs look truncated in CloudWatch for long stack traces, is there a max line size?
%%
how do I see the logs for a specific user's failed submission? we have the confirmation number but not sure what to search for
%%
is there a way to get notified when a specific error happens for the first time, not every time?
""".strip("\n")

BODIES["Monitoring Dashboards"] = r"""
how do I create a Grafana dashboard for our service? I don't see a "new dashboard" button, maybe permissions?
%%
the "API health" dashboard panels all say "No data" since this morning. is the data source broken?
%%
can we get a dashboard that shows our app's response times broken down by endpoint?
%%
the Datadog dashboard for {app} disappeared, we had it bookmarked. did someone delete it?
%%
Is there a template dashboard we can copy for a new service? request rate, errors, latency, the basics
%%
our SLO dashboard shows 97% but our alerts never fired. I think the dashboard query is wrong, can someone look?
%%
can someone explain the "4xx by route" panel on the shared dashboard? the numbers don't add up with what we see in the logs
%%
I want to add a panel to the team dashboard showing the queue depth for our workers. which metric should I use?
%%
dashboards in Grafana are really slow to load today, timeouts on half the panels
%%
our leadership wants a monthly uptime number for {app}. is there an existing dashboard or report with that?
%%
the dashboard variables dropdown doesn't list our new service. how does it get populated?
%%
can I embed a dashboard panel in our team's confluence page? or share a public link?
%%
where's the dashboard that shows deploy markers overlaid on error rate? I saw it in a demo once
%%
the "frontend errors" dashboard is counting errors from review instances too, which makes the numbers useless. can it be filtered to prod?
%%
We need a dashboard for the launch next week so product can watch traffic in real time. who can help set it up?
%%
graph on our dashboard shows a flat line at 0 for the last 3 days for request count, but the app is definitely getting traffic
%%
who owns the platform overview dashboard? some panels reference services that don't exist anymore
%%
can someone give our dashboard folder edit rights to the whole {team} team? only I can edit it right now
%%
is there a dashboard of CI/pipeline stats (build times, failure rate)? we want to know if our builds are getting slower
%%
the latency panel on our dashboard shows p99 but we need p95 to match the SLO. can I change it or is it managed?
""".strip("\n")
# ---------------------------------------------------------------------------
# Frontend / content / analytics / other
# ---------------------------------------------------------------------------
BODIES["Design System"] = r"""
is there a design system component for a stepper / progress bar? we want to show "step 2 of 5"
%%
the `<va-button>` web component doesn't forward the `aria-describedby` attribute. bug or are we using it wrong?
%%
after upgrading the design system package to the latest, our modals lost their close button styles. known issue?
%%
which version of the component library should new apps use? the docs site says v3 but the monorepo pins v2
%%
can we get a new variant of the alert component with a dismiss button? our use case: a one-time notice on the dashboard
%%
the spacing tokens in Figma don't match the CSS utility classes (figma says 24px, `vads-u-margin--3` is 20px?). which is right?
%%
Hi! we're building a data table with sorting. is there a design system table component that supports that or do we build our own?
%%
the accordion component's expand-all button isn't keyboard accessible in Safari. should I file an issue with the design system team?
%%
How do I use the design system icons in a React component? the old font-awesome classes are being removed
%%
is the card component supposed to be clickable as a whole? our designer wants the entire card as a link and the docs are unclear
%%
Our design uses a date picker. Is the memorable-date component the only option, or is there a calendar picker?
%%
hi design system folks :wave: is there guidance on when to use a link vs a button? we have a debate going on our team
%%
the storybook for the design system is down? getting a 404 on the components page
%%
we'd like to contribute a new component back to the design system. what's the process?
%%
`<va-select>` fires the change event twice in our form. is that expected?
%%
the font looks different on our page vs the rest of the site. are we missing the design system font import?
%%
does the design system have a standard "loading" spinner? we found three different ones in the codebase
%%
Hey, the typography styles changed after we bumped the CSS package and now our headings are huge. did the heading scale change?
%%
is there a dark mode plan for the design system? a stakeholder asked
%%
the pagination component shows "Page 1 of 0" when there are no results. can that be fixed in the component?
%%
Are the design system components tested with JAWS? our a11y specialist found an issue with the modal focus trap
%%
where can I find the Figma library for the latest design system version? the link in our design doc is to an old file
""".strip("\n")

BODIES["Forms"] = r"""
how do I add a conditional field to a form using the forms library? only show the question if the previous answer is "yes"
%%
our form's save-in-progress isn't restoring the last page the user was on, always goes back to the intro
%%
is there a way to prefill the form with the user's address from their profile? we see other forms doing it
%%
the generated PDF for our form has the wrong form number in the footer. where does that come from?
%%
submissions of our form are failing in staging with "Schema validation failed" but the schema looks right to me
%%
how do we version a form schema? we need to add a required field but existing in-progress forms shouldn't break
%%
the review page of our form shows raw field names (`veteranFullName.first`) instead of labels. what did we miss in the uiSchema?
%%
Does the forms system support file uploads larger than 10MB? users are hitting the limit with scanned documents
%%
our form's "continue" button does nothing on the third page, no validation error shown. console has no errors either
%%
We're building a new multi-page form. Should we use the forms library or the new pattern the design system folks mentioned?
%%
where do submitted forms go after they leave our app? we need to confirm the downstream system receives them
%%
the character limit on a textarea in our form isn't enforced on the backend. is validation supposed to be duplicated there?
%%
how do we add a custom validation to an array field in the forms library? e.g. at least one dependent must be a spouse
%%
Our form's confirmation page doesn't show the confirmation number anymore after the last forms library update
%%
Is there an example of a form with an "add another" list loop that supports editing each item? ours only appends
""".strip("\n")

BODIES["Analytics"] = r"""
how do we add google analytics events for a new button? is there a standard event name format?
%%
our page views dropped 80% in GA4 since the 10th but traffic in our logs is flat. tracking broken?
%%
can someone help me set up a GTM trigger for our form submissions? the existing ones only cover the old forms
%%
we need a report of how many users completed our form last month, broken down by device. who can pull that from analytics?
%%
is there analytics QA? we want someone to check our events are firing correctly before launch
%%
does the data layer push happen automatically for design system components or do we need to add it?
%%
hey, our events show up in the GA debug view but not in the reports, even after 48 hours
%%
where's the analytics request form? our PM wants a custom dashboard for our product's funnel
%%
Are we allowed to track the text users type in a search box? want to know what people search for on our page
%%
how do I get access to the analytics data for our pages? the Domo link gives me a blank page
%%
The click events for our links are being double-counted in analytics. I think both our code and the global script send them
%%
can we track outbound link clicks to a partner site? and is there a privacy review for that?
%%
what's the right UTM setup for an email campaign that links into our app? want to measure how many come from the email
%%
the analytics for our new page shows 0 sessions but we launched 2 weeks ago. did we forget to register the page somewhere?
%%
can the analytics tag be added to pages built in the CMS, or only to the React apps? our landing page has no data at all
""".strip("\n")

BODIES["CMS"] = r"""
how do I get a content change live? I saved and it says published but the page on the site hasn't changed
%%
the content build failed and our updated page didn't go out. CMS says the node is published
%%
can I get an editor account in Drupal? I'm the content lead for {team}
%%
the preview button in the content editor shows a blank page for our new landing page
%%
we need a new content type for "event listings" so editors can add events themselves. who do we talk to?
%%
is there a way to schedule a content publish for a specific time? announcement needs to go live at 9am on monday
%%
our facility page shows the old hours even though the editor updated them in Drupal yesterday
%%
The CMS is super slow to save today, like 40 seconds per save and sometimes a timeout
%%
someone edited our page and broke the layout, how do I see the revision history and revert to the previous version?
%%
can the CMS send us a notification when a page in our section is edited? we keep getting surprised by changes
%%
images uploaded to the CMS aren't showing up on the live site, only alt text renders
%%
hi, when will the content build next run? I need my page edit live today
%%
I'm getting "access denied" editing a page in the CMS that I could edit last week. did my role change?
%%
How does the CMS decide the URL for a new page? ours got `/node/12345` instead of a nice path
%%
the CMS feature flag for the new page design is on in staging but not in prod, how do we turn it on?
%%
a page we unpublished is still showing on the live site and in search results
%%
is there an API to pull content out of the CMS into our React app? we want to render FAQ content without duplicating it
%%
The CMS workflow says our page needs "review" but there's nobody listed as a reviewer for our section
%%
we're migrating 200 pages of content into the CMS. is there a bulk import tool or do we copy paste?
%%
links in the rich text editor keep getting rewritten to absolute URLs with the staging domain
""".strip("\n")

BODIES["Something Else"] = r"""
who's the right person to talk to about the API rate limits for a partner integration?
%%
when are platform office hours this week? the calendar invite disappeared
%%
is there a slack workflow to report a support request or do we just post here?
%%
not sure where to ask this — does anyone know who owns the `/find-locations` page?
%%
hi! what's the process for getting a new product added to the platform's product directory?
%%
the docs page about the collaboration cycle has a bunch of broken links. where do I report doc issues?
%%
random q: is there a platform-wide holiday code freeze at the end of the year and when does it start?
%%
can someone from platform join our sprint demo on thursday? we're showing a feature that uses the new shared service
%%
question about our team's licensing for the IDE plugins, is that something platform provides?
%%
who do I ask about getting a new domain name registered for our product?
%%
is there a calendar of platform maintenance windows I can subscribe to?
%%
hey everyone, who do I talk to about accessibility testing before launch? do we need a formal audit?
%%
We want to present our architecture at the platform engineering sync. how do we get on the agenda?
%%
where can I find the platform roadmap? want to know if the shared notification service is coming this quarter
%%
my question isn't really a support request, more of a "how do you all handle X". how do other teams do release notes for users?
%%
is there a template for writing an incident postmortem? ours is due friday
%%
does platform have a recommended approach to API versioning for new endpoints?
%%
Can someone tell me who the product owner for the platform is? our leadership wants to set up a meeting
%%
the support bot keeps sending me reminders to use /support but I did use it?
%%
I don't know which category this falls under: we need a shortened URL (like va.gov/x) for a printed flyer. who does that?
%%
hi, can I get a copy of the recording from yesterday's platform demo?
%%
who approves new third-party vendors / tools for teams? we want to try a prototyping tool
%%
how do we request a new slack channel for our team that's connected to the platform workspace?
%%
Is there guidance on how long a team should keep feature flags around after launch?
%%
question about the collaboration cycle: do we need a midpoint review for a small content change?
%%
what's the best way to give feedback about the platform docs site? there's no feedback link
%%
are there any platform-provided tools for making diagrams / architecture docs? we need to produce some for an audit
%%
who maintains the shared email templates? the footer has an old phone number in it (555-0142)
%%
the support form bot asked me to pick a topic and none of them fit, so I'm posting here. we need help estimating cloud costs for our new service
%%
is this the right channel for questions about the mobile app's API? or is there a separate one?
%%
is there a roadmap for replacing the CMS? our content team keeps asking and I don't know who to point them to
%%
who do I talk to about the cost of our pipeline minutes / cloud bill? finance is asking each team for estimates
""".strip("\n")
# ---------------------------------------------------------------------------
# Long multi-paragraph requests and terse one-liners, appended to each topic.
# ---------------------------------------------------------------------------
MORE_BODIES = {}

MORE_BODIES["CI Error"] = r"""
ci down?
%%
builds failing on main, known issue?
%%
runners dead? nothing has started in 30 min
%%
Hi all, long one, sorry.

Since Tuesday roughly a third of our CI runs on {repo} fail in the "install" job. It is never the same package: sometimes it's a tarball timeout from the registry, sometimes `ECONNRESET`, once it was a checksum mismatch on a package we haven't touched in months.

What we tried: pinned the yarn version, cleared the actions cache from the UI, re-ran with debug logging on. The debug log shows the requests going through the corporate proxy and just stalling. Locally (and on my home network) the install takes 90 seconds and never fails.

Is anything changing with the network setup of the self-hosted runners? If it's a known issue we'll just retry for now, but we're shipping on the {date} and the retries eat about an hour a day across the team.
%%
Hey team — I need help understanding a CI failure that only happens on the merge queue.

On the PR everything is green. Once it enters the queue, the `build` job fails with a webpack error about a duplicate chunk name. I can reproduce it locally only if I merge main into my branch *and* build with the production flag.

My guess is another team added an entry point with the same name as one of ours last week, but I don't know how the entry names get registered or who owns that file. Could someone who knows the build config take a look? Happy to pair.
%%
Not sure if this is a CI problem or ours.

Our Ruby job started failing after the weekend. The failing step is the one that restores the bundle cache and then runs `bundle exec rspec`. The error is about a native extension (`nokogiri`) being compiled for the wrong platform. We didn't change the Gemfile.lock.

Questions:
1. did the runner OS image change over the weekend?
2. if yes, is there a changelog somewhere we can watch?
3. should we be adding the linux platform to our lockfile ourselves?

Thanks, and sorry for the wall of text.
""".strip("\n")

MORE_BODIES["Failed Deployment"] = r"""
prod deploy borked, rollback pls
%%
staging deploy red for {app}
%%
Hi platform — we had a failed deploy last night and I want to make sure I understand what happened before we try again.

Timeline (ET): 9:02pm merge, 9:40pm the deploy job starts, 9:51pm the new pods come up, 9:58pm the rollout is marked failed and everything rolls back. Between 9:51 and 9:58 our error rate in Sentry goes up but the errors are all `Faraday::ConnectionFailed` to an upstream service, not from our code.

So either the new pods couldn't reach the upstream (network policy? new security group?) or the upstream was down at the same time. We don't have visibility into either.

Can someone help us read the deploy logs and check whether anything changed in the networking for our namespace? We'd like to redeploy today if it's safe.
%%
URGENT-ish: the {app} deploy to prod went out at 2:10pm and now the confirmation page shows an empty state for everyone.

- staging with the same sha is fine
- the API returns data when I call it directly
- the only difference I can find is that prod is still serving the old version of one of the JS chunks (the main bundle is new, the lazy-loaded chunk is old)

I think the CDN invalidation didn't cover everything. Can someone either re-run the invalidation or roll us back to the previous release? We'd prefer the invalidation because the release also contains a security fix.
%%
Long question about deploys + migrations.

Our deploy to staging failed because the migration job timed out. The migration adds a column with a default to a table with ~40M rows. Locally it's instant because the table is empty.

We can rewrite the migration to add the column without a default and backfill in batches — that's fine. But the failed deploy left the app in a weird state: the migration job is gone, the app pods are on the old version, and the schema_migrations table says the migration ran.

How do we get back to a clean state before trying again? And is there guidance on running long migrations during the deploy vs as a separate job?
""".strip("\n")

MORE_BODIES["Pipeline"] = r"""
is the deploy queue stuck?
%%
did today's release go out?
%%
Hi! Trying to understand how our release pipeline is set up because the docs and reality don't seem to match.

The docs say: merge to main → image build → auto-deploy to dev → nightly promotion to staging → manual approval → prod. What we see: our merge goes to dev *and* staging within 20 minutes, and then prod happens the next morning without anyone from our team approving anything.

That's actually fine for us, but our PM asked "who approved this release?" and I couldn't answer. Can someone explain which stages exist for {repo}, who (or what) approves the prod step, and where that's configured? If the docs are out of date I'm happy to send a PR to fix them once I understand.
%%
We'd like to change how our service is deployed and want to check it fits the pipeline before we build anything.

Today: one image, deployed to one cluster by the shared pipeline.
Wanted: the same image deployed as two workloads (web + a queue worker) with different commands and different replica counts.

Does the shared pipeline template support multiple workloads per service? If not, is the recommended approach to fork the template, or is there a way to pass extra manifests? We don't want to end up on a snowflake setup nobody else understands.
""".strip("\n")

MORE_BODIES["Test Failure"] = r"""
flaky cypress again :(
%%
unit tests red on main
%%
Hi team, looking for help with a flaky e2e test that's become a real drag.

The spec fills out a 6-page form and submits it. In CI it fails maybe 1 run in 4, always on page 4 where we upload a file: the upload progress bar never completes and the test times out after 10s. Locally it passes 50/50 runs. I added retries which hides it but the suite now takes 12 minutes longer.

Things I checked: the mock upload endpoint responds in <100ms in the logs; the CI container has enough memory; the failure happens on both chrome and electron.

Is there something special about file uploads in the CI browser (like a slower disk or a different temp dir)? Or an existing helper for uploads that other teams use?
%%
our rspec suite has started failing on one example since the platform bumped the postgres image in CI:

`expected "2026-04-01 00:00:00 UTC" to eq "2026-04-01 00:00:00.000000 UTC"`

looks like a precision change in timestamps. we can fix the assertion but wanted to flag it in case other teams are seeing failures from the same bump.
""".strip("\n")

MORE_BODIES["Access Request"] = r"""
need github access pls
%%
aws access for a new dev?
%%
who approves repo access?
%%
Hello! We have three engineers joining {team} on Monday and I want to get their access sorted before they start so they're not blocked for a week like last time.

What they'll need, as far as I can tell:
- GitHub org membership + our team (write on {repo})
- AWS SSO for dev and staging (read-only to start)
- Sentry + Datadog for our projects
- the SOCKS proxy for staging

Is there a single form that covers all of this, or do I file separate requests? Also, can a tech lead request on someone's behalf or does each person have to ask themselves? Their GitHub usernames are ready; they'll have PIV cards by Friday.
%%
Hi, I'm the delivery manager for {team}. We're doing our quarterly access review and found a few things:

1. two people who left in the spring still show as members of our GitHub team
2. one contractor has admin on {repo} but should only have write
3. our shared CI bot account has an owner that no longer works here

Can someone help fix these? And going forward, is there a way for us to get a list of who has access to our repos and AWS roles without asking in this channel each quarter?
""".strip("\n")

MORE_BODIES["Environments"] = r"""
staging slow?
%%
sandbox down?
%%
Hi! Question about environment parity, it keeps biting us.

We tested our change in dev and staging last week and it worked. In prod, the same code fails because prod has a stricter timeout on the gateway (10s vs 30s in staging) and our upstream call sometimes takes 12s. Nobody on our team knew the environments were configured differently.

Two asks:
1. is there a place where the differences between dev/staging/prod config are documented (timeouts, rate limits, feature flags, egress rules)?
2. could staging be brought closer to prod for things like timeouts, so we catch this before release?
%%
We've been asked to demo the new flow to stakeholders next Wednesday using staging.

Last two demos staging was either down or reset in the middle of the session, which was embarrassing. Is there any way to get a heads-up about maintenance or data refreshes, or to have a stable demo environment for an afternoon? Happy to follow whatever process exists — I just couldn't find one.
""".strip("\n")

MORE_BODIES["Review Instance"] = r"""
RI not deploying
%%
review instances down?
%%
Hi, a few questions about review instances since we're starting to rely on them for design review:

1. our RI for {prlink} built fine but shows yesterday's content, not the content on our branch. Is content baked in at build time or fetched live?
2. the RI uses the mock API, but our designer needs to see a logged-in state with real-ish data. Can an RI point at the staging API instead?
3. how long do they stay up? one disappeared after 3 days even though the PR is open.

Thanks — they're super useful when they work!
""".strip("\n")

MORE_BODIES["PR Review"] = r"""
review pls {prlink}
%%
{prlink} :pray:
%%
Hi platform reviewers :wave: we have a PR that touches the shared routing code: {prlink}

Context: our app needs a nested route under an existing app's URL (`/health-care/{app}/...`), and to do that we had to change how the registry resolves the root URL. We've tested on a review instance and with the two apps that share the prefix, and added unit tests for the resolver.

Because it touches shared code it needs a codeowner approval from platform. We're hoping to merge by Thursday for a Monday launch, but if that's unrealistic please let us know so we can plan around it.
""".strip("\n")

MORE_BODIES["App Logging/Monitoring"] = r"""
where are prod logs?
%%
sentry alerts too noisy, help
%%
Hi team, we need help setting up monitoring before our launch on the {date}.

Right now we have Sentry for frontend errors and that's it. Our service makes calls to two upstream systems and we have no idea how often those fail in production. We'd like:

- an alert when the error rate on our endpoints goes over some threshold
- a way to see upstream latency per vendor
- logs we can search by confirmation number when a user calls the help desk

Is there a standard setup teams use (Datadog monitors? StatsD?) and someone who could spend 30 minutes walking us through it? We're fine doing the work, we just don't want to invent our own approach.
%%
We got paged 14 times overnight for "high error rate" on {app}, all auto-resolved within 5 minutes. Looking at the logs, it's a burst of 401s every hour when a token refresh job runs. The users never see them.

How do we exclude those from the monitor without hiding real auth problems? Can the monitor filter by error class, or should we change what we log?
""".strip("\n")

MORE_BODIES["Security"] = r"""
leaked a token, help
%%
dependabot critical on {repo}
%%
Hi security folks, we need guidance on a data flow for a new feature and I'm not sure where the line is.

The feature lets users upload a document (PDF/JPG) that we forward to a downstream system. Our plan was: upload to our API → store temporarily in S3 → virus scan → send to the downstream system → delete after 7 days.

Questions: is there an approved scanning service we should call, what retention is allowed for uploaded documents, and does the bucket need any specific encryption or access logging? We'd rather ask now than fail a review later.
""".strip("\n")

MORE_BODIES["Test Accounts/Data"] = r"""
any test user w/ dependents?
%%
staging test user locked
%%
We're running moderated research sessions next week (6 participants) on staging and need test accounts that look realistic.

Requirements: each account needs a different benefit status (one pending, one approved, one denied), at least one should have a direct deposit on file, and none can have MFA because participants won't have the phones. We'll also need the passwords shared securely with our researcher, not in Slack.

Is there a process for requesting a batch like this, and how much lead time do you need?
""".strip("\n")

MORE_BODIES["Testing Tools"] = r"""
cypress or playwright for a new app?
%%
Our team wants to get serious about automated accessibility testing and I'm trying to figure out what's already available before we buy anything.

So far I found: axe checks in the e2e helpers, a lint plugin for JSX, and a mention of a monthly scan somewhere. Are these the supported tools? Is there a recommended combination (e.g. axe in e2e + manual screen reader pass), and does anyone have an example app that does it well that we could copy from?
""".strip("\n")

MORE_BODIES["Testing Tool Access"] = r"""
browserstack login?
""".strip("\n")

MORE_BODIES["Monitoring Dashboards"] = r"""
grafana down?
%%
dashboard empty?
%%
Hi! We'd like a single dashboard for our product that shows, side by side: requests per minute, 5xx rate, p95 latency, and queue depth for our background jobs.

I tried to build it in Grafana but I can't find the right metric names for our service (the metric browser lists thousands), and I'm not sure if I should be copying the "service overview" template or starting from scratch. Could someone point me at an example dashboard for a similar service, or pair for 20 minutes?
""".strip("\n")

MORE_BODIES["Design System"] = r"""
is there a tooltip component?
%%
We're redesigning the dashboard cards for {app} and our designer has a layout that the card component can't quite do (an icon on the left, a status tag top-right, two actions at the bottom).

Before we build a custom component: is there work planned on the card component that covers this? If not, is it OK to compose it from the utility classes, or will the design system team flag it in the collaboration cycle review? We want to stay consistent with the rest of the site.
""".strip("\n")

MORE_BODIES["Forms"] = r"""
save in progress broken?
%%
Question about a multi-page form we're building with the forms library.

Page 3 asks "do you have dependents?" and, if yes, a list loop collects each dependent. If the user goes back and changes the answer to "no", the dependents data stays in the form data and gets submitted, which the downstream system rejects.

Is there a built-in way to clear data for pages that become inactive, or do we need a custom transform before submit? I found a `depends` option but it only hides the page.
""".strip("\n")

MORE_BODIES["Analytics"] = r"""
GA events missing?
""".strip("\n")

MORE_BODIES["CMS"] = r"""
content build stuck?
%%
drupal slow?
%%
Hi, content lead for {team} here.

We have about 30 pages that need the same disclaimer paragraph updated before the policy change on the {date}. Right now an editor has to open each page, edit, save and publish, and then we wait for the next content release to see them live.

Is there a reusable content block we could switch to so the disclaimer is edited in one place? And for this round, can someone on the CMS side help us do a bulk update, or at least confirm when the content release will pick all of them up?
""".strip("\n")

MORE_BODIES["Orientation/Onboarding"] = r"""
new here, where do I start?
%%
Hi everyone :wave: I'm the new engineering lead for {team}. Our team is mostly new to the platform, and I'd like to set us up well rather than learn everything by breaking things.

Is there a recommended onboarding path for a whole team (not just individuals)? Things I'm hoping to cover: how releases and deploys work, what the collaboration cycle expects from us, how to get help from platform, and which docs are current. Happy to schedule a session if that's a thing you do.
""".strip("\n")

MORE_BODIES["Something Else"] = r"""
office hours today?
%%
who owns the site header?
%%
Not a support request exactly, more of a process question.

We keep getting asked by leadership for a summary of "what we needed from platform this quarter" and I end up scrolling through Slack. Is there a way to see the requests our team made here (and how long they took)? If there's a report somewhere, I'd love a link; if not, consider this a feature request :slightly_smiling_face:
""".strip("\n")
# ---------------------------------------------------------------------------
# Genuinely ambiguous requests. First line lists the topics a human triager
# could reasonably pick (first one a bit more often); the generator labels each
# use with one of them, so the same wording appears under different topics.
# ---------------------------------------------------------------------------
AMBIGUOUS = r"""
@@ Failed Deployment | CI Error | Pipeline
deploy failing again?
%%
@@ CI Error | Pipeline
build is stuck and nothing is moving, can someone look?
%%
@@ Pipeline | Failed Deployment
our merge from this morning still isn't on staging. where is it?
%%
@@ CI Error | Test Failure
CI is red on my PR, the failing job is `unit-tests`, looks unrelated to my change. can someone take a look?
%%
@@ Test Failure | CI Error
e2e job failing on everything since lunch, is it the tests or the runners?
%%
@@ Failed Deployment | Environments
staging has been broken since the deploy this morning, 500 on most pages
%%
@@ Environments | Failed Deployment
is staging down or did the deploy break something?
%%
@@ Environments | Review Instance
can my PM see my changes somewhere before we merge? staging or a review environment, whatever's easiest
%%
@@ Review Instance | Environments
the review environment and staging both show the old header, how do I get my change on either?
%%
@@ Access Request | Testing Tool Access
need access for our new QA person, she's starting monday. what does she need?
%%
@@ Testing Tool Access | Access Request
can't log in to the testing dashboard, says I'm not authorized. I think my GitHub access is fine
%%
@@ Access Request | Security
I need to see the prod secrets for our app to debug a config issue. how do I get access?
%%
@@ Security | Access Request
our former contractor still has access to the repo and AWS, can someone remove it? not sure if this is a security thing
%%
@@ Monitoring Dashboards | App Logging/Monitoring
where do I see error rates for our service?
%%
@@ App Logging/Monitoring | Monitoring Dashboards
can someone help us set up monitoring for our new service before launch? metrics, alerts, a dashboard, whatever the standard is
%%
@@ App Logging/Monitoring | Failed Deployment
we're seeing a spike in 500s since about 3pm, not sure if it's the deploy or an upstream. where should I look?
%%
@@ Test Accounts/Data | Environments
staging data looks wrong for our test users, is the environment ok?
%%
@@ Test Accounts/Data | Testing Tools
how do I set up mock data for my tests? need a user with a claim in progress
%%
@@ Testing Tools | Test Failure
what's the right way to wait for an element in cypress? our tests keep timing out on the same step
%%
@@ PR Review | CI Error
my PR is approved but can't merge, a required check is stuck. can someone with admin help?
%%
@@ PR Review | Something Else
who reviews changes to the shared docs? I have a PR up and don't know who to ask
%%
@@ Design System | Forms
the radio buttons in our form look broken after the latest update, labels overlap the inputs
%%
@@ Forms | Design System
is there a standard component for the "review and submit" page? we're building one from scratch
%%
@@ CMS | Failed Deployment
content change isn't live yet, published 3 hours ago. is the build broken?
%%
@@ CMS | Access Request
need CMS access for a new editor on our team
%%
@@ Analytics | Monitoring Dashboards
is there a dashboard with traffic numbers for our pages?
%%
@@ Orientation/Onboarding | Access Request
new engineer starting next week, what's the process to get them set up?
%%
@@ Something Else | Orientation/Onboarding
where is the documentation for how platform support works? like what's in scope?
%%
@@ Something Else | Security
do we need any kind of review before sending data to an outside vendor?
%%
@@ Security | App Logging/Monitoring
we found user email addresses being logged in plaintext. what do we do?
%%
@@ Environments | Access Request
can't reach staging from my laptop, getting a connection refused. do I need some kind of access?
%%
@@ Access Request | Environments
proxy isn't working for me since yesterday, can't hit any internal env
%%
@@ Pipeline | CI Error
why does the workflow run twice for every merge?
%%
@@ Failed Deployment | Pipeline
our service didn't get deployed in today's release. who can check?
%%
@@ Something Else | PR Review
quick q — how long should we expect to wait for platform to look at our stuff?
%%
@@ Review Instance | Failed Deployment
the deploy for my review env failed, how do I retry?
%%
@@ CI Error | Security
the security scan job fails on every PR now, even on a readme change
%%
@@ Test Failure | Testing Tools
the accessibility checks in our tests started failing on color contrast, are we using the wrong tool version?
%%
@@ Something Else | Environments
what's the URL for the staging site again?
%%
@@ Something Else | CI Error
is github slow for anyone else right now?
%%
@@ Environments | App Logging/Monitoring
our service in staging keeps restarting every few minutes, how can I see why?
%%
@@ Failed Deployment | App Logging/Monitoring
users are reporting errors on {app} since this afternoon. not sure if related to our deploy
%%
@@ Test Accounts/Data | Access Request
I need a login for staging to test our app
%%
@@ Testing Tool Access | Testing Tools
how do we get set up with BrowserStack? never used it before
%%
@@ Design System | Something Else
who decides on the wording of standard error messages across the site?
%%
@@ Forms | Something Else
we need to change the OMB expiration date shown on our form, who handles that?
%%
@@ Monitoring Dashboards | Analytics
leadership wants a weekly number of users who used our tool. where do we get it?
%%
@@ Orientation/Onboarding | Something Else
is there an intro to the platform I can send to a new stakeholder?
%%
@@ Pipeline | Environments
how do things get promoted from dev to staging to prod? trying to understand the flow
%%
@@ CI Error | Failed Deployment | Pipeline
everything is red :sob:
%%
@@ Something Else | Access Request | Orientation/Onboarding
hi, I'm not sure what I need to ask for, I just started and can't open half the links in the onboarding doc
%%
@@ Test Failure | Failed Deployment
the post-deploy smoke tests failed on staging. is the deploy bad or the tests?
%%
@@ Environments | Test Accounts/Data
the sandbox users don't work in dev anymore, did something change with dev?
%%
@@ Review Instance | Test Accounts/Data
I can't log in on my review instance with the usual test user
""".strip("\n")
# ---------------------------------------------------------------------------
# Slack realism shared across topics: snippets, links, boilerplate.
# Snippet pools are deliberately shared between neighbouring topics.
# ---------------------------------------------------------------------------
SNIPPETS = {}
# Each snippet starts with "@@ <regex>": it is only pasted under a message that matches
# the regex (case-insensitive), so the log fits the complaint. "@@ *" marks a generic
# snippet that may follow a vague message ("CI red again").

SNIPPETS["ci_log"] = r"""
@@ yarn install|ESOCKETTIMEDOUT|network|registry|\*
Run yarn install --frozen-lockfile
yarn install v1.22.19
[1/4] Resolving packages...
[2/4] Fetching packages...
error An unexpected error occurred: "https://registry.yarnpkg.com/@babel/core/-/core-7.24.0.tgz: ESOCKETTIMEDOUT".
Error: Process completed with exit code 1.
%%
@@ cancel
##[error]The operation was canceled.
##[error]Process completed with exit code 143.
%%
@@ bundle install|gem|package registry|private
Step 7/14 : RUN bundle install --jobs 4
 ---> Running in 3f1c2b9e8a71
Fetching gem metadata from https://rubygems.org/........
Could not fetch specs from https://rubygems.pkg.github.com/{org}/
Bad username or password for https://x-access-token@rubygems.pkg.github.com/{org}/.
The command '/bin/sh -c bundle install --jobs 4' returned a non-zero code: 17
%%
@@ set-output|reusable workflow|\*
Error: Unable to process command '::set-output name=sha::{sha}' successfully.
Error: The `set-output` command is disabled.
%%
@@ heap|memory|webpack|137|SIGKILL
> webpack --config config/webpack.config.js --env.buildtype=vagovprod
<--- Last few GCs --->
FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory
error Command failed with exit code 134.
%%
@@ checkout|Username|could not read
Run actions/checkout@v4
Syncing repository: {org}/{repo}
Error: fatal: could not read Username for 'https://github.com': terminal prompts disabled
Error: The process '/usr/bin/git' failed with exit code 128
%%
@@ docker|buildx|image build|Dockerfile|\*
Error: buildx failed with: ERROR: failed to solve: process "/bin/sh -c yarn build" did not complete successfully: exit code: 1
%%
@@ lint|eslint|\*
/home/runner/work/{repo}/{repo}/src/applications/{app}/components/Summary.jsx
  42:7  error  'useEffect' is defined but never used  no-unused-vars
✖ 1 problem (1 error, 0 warnings)
Error: Process completed with exit code 1.
%%
@@ queued|runner to pick|self-hosted
Waiting for a runner to pick up this job...
Job is waiting for a self-hosted runner (labels: [self-hosted, platform, large])
%%
@@ 401|token|authenticat|registry
npm ERR! code E401
npm ERR! Unable to authenticate, your authentication token seems to be invalid.
npm ERR! A complete log of this run can be found in: /home/runner/.npm/_logs/2026-05-12T14_03_11_102Z-debug-0.log
%%
@@ verify-env|secret is missing|SENTRY_AUTH_TOKEN|secrets? aren't available
Run ./script/ci/verify-env.sh
ERROR: required variable SENTRY_AUTH_TOKEN is not set
Error: Process completed with exit code 2.
%%
@@ space left|disk
Error: No space left on device : '/home/runner/runners/2.316.1/_diag/pages/1e3c0f2a.log'
%%
@@ ECONNRESET|yarn fail|network flake|flaky all week
error Error: https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz: read ECONNRESET
    at TLSSocket.socketErrorListener (node:_http_client:501:9)
info Visit https://yarnpkg.com/en/docs/cli/install for documentation about this command.
%%
@@ rubocop
app/models/claim.rb:14:3: C: Style/GuardClause: Use a guard clause instead of wrapping the code inside a conditional expression.
app/models/claim.rb:22:81: C: Layout/LineLength: Line is too long. [131/120]
148 files inspected, 2 offenses detected
%%
@@ gyp|node-sass
gyp ERR! build error
gyp ERR! stack Error: `make` failed with exit code: 2
gyp ERR! node -v v20.11.1
error /home/runner/work/{repo}/{repo}/node_modules/node-sass: Command failed.
%%
@@ certificate|cert
npm ERR! code CERT_HAS_EXPIRED
npm ERR! errno CERT_HAS_EXPIRED
npm ERR! request to https://npm.internal.example.gov/@platform%2futils failed, reason: certificate has expired
%%
@@ not accessible by integration|comment on the PR|GITHUB_TOKEN|danger
RequestError [HttpError]: Resource not accessible by integration
    at /home/runner/work/_actions/actions/github-script/v7/dist/index.js:9537:21
  status: 403,
%%
@@ exec format|arm
exec /usr/local/bin/docker-entrypoint.sh: exec format error
%%
@@ actions cache|cache entry|cache full|reserve cache|cache is full
Warning: Failed to save: Unable to reserve cache with key node-cache-Linux-yarn-{sha}, another job may be creating this cache.
%%
@@ maximum execution time|times out at|timing out|6 hours
Error: The job running on runner GitHub Actions 42 has exceeded the maximum execution time of 60 minutes.
%%
@@ shutdown signal|SIGKILL|memory
Error: Process completed with exit code 137.
Error: The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.
%%
@@ TS2307|typescript|Module not found|resolve
src/applications/{app}/utils/helpers.ts(3,29): error TS2307: Cannot find module '@department/shared-utils' or its corresponding type declarations.
error Command failed with exit code 2.
%%
@@ audit|vuln|security scan|codeql
found 3 vulnerabilities (1 moderate, 2 high) in 2104 scanned packages
  run `yarn audit --groups dependencies` for details
Error: Process completed with exit code 12.
""".strip("\n")

SNIPPETS["test_log"] = r"""
@@ unit test|jest|snapshot|\*
FAIL src/applications/{app}/tests/unit/ConfirmationPage.unit.spec.jsx
  ● ConfirmationPage › renders the confirmation number
    expect(received).toContain(expected)
    Expected substring: "Confirmation number"
    Received string:    ""
Tests: 1 failed, 212 passed, 213 total
%%
@@ cypress|timed out retrying|submit the form|wait for an element|flaky|\*
  1) {app} form
       should submit the form:
     AssertionError: Timed out retrying after 4000ms: Expected to find element: `[data-testid="submit"]`, but never found it.
      at Context.eval (webpack:///./src/applications/{app}/tests/e2e/form.cypress.spec.js:58:8)
%%
@@ rspec|contract test|403|order-dependent
Failures:
  1) ClaimsController#show returns the claim
     Failure/Error: expect(response).to have_http_status(:ok)
       expected the response to have status code :ok (200) but it was :forbidden (403)
     # ./spec/controllers/claims_controller_spec.rb:31:in `block (3 levels) in <top (required)>'
Finished in 4 minutes 12 seconds
1832 examples, 1 failure
%%
@@ verify that your server|server is running|cy.visit
Error: Cypress failed to verify that your server is running.
Please start this server and then run Cypress again.
We are verifying this server because it has been configured as your baseUrl.
%%
@@ snapshot
› 1 snapshot failed from 1 test suite. Inspect your code changes or run `yarn test -u` to update them.
%%
@@ undefined|unrelated to my change|shared suite
TypeError: Cannot read properties of undefined (reading 'attributes')
    at selectProfile (src/platform/user/selectors.js:14:22)
    at Object.<anonymous> (src/applications/{app}/tests/unit/selectors.unit.spec.js:40:12)
%%
@@ playwright|browser install|install browsers
browserType.launch: Executable doesn't exist at /ms-playwright/chromium-1105/chrome-linux/chrome
╔═════════════════════════════════════════════════════════════════════════╗
║ Looks like Playwright Test or Playwright was just installed or updated. ║
%%
@@ act\(|console warnings|React 18
Warning: An update to FormApp inside a test was not wrapped in act(...).
Error: console.error was called. Tests are not allowed to log errors (see setupTests.js)
%%
@@ timezone|\bTZ\b|Mondays|\bdates?\b
  ● formatDate › returns the local date
    expect(received).toEqual(expected) // deep equality
    Expected: "2026-04-02"
    Received: "2026-04-01"
%%
@@ TextEncoder
ReferenceError: TextEncoder is not defined
    at Object.<anonymous> (node_modules/whatwg-url/lib/encoding.js:2:21)
%%
@@ ECONNREFUSED|mock server|mock API
FetchError: request to http://127.0.0.1:3000/v0/user failed, reason: connect ECONNREFUSED 127.0.0.1:3000
%%
@@ fetch is not defined|node 20
ReferenceError: fetch is not defined
    at fetchClaims (src/applications/{app}/actions/index.js:22:3)
%%
@@ import statement|babel
SyntaxError: Cannot use import statement outside a module
  > 1 | import { render } from '@testing-library/react';
%%
@@ cy\.login|login helper|e2e.*log ?in|sign-in flow
TypeError: cy.login is not a function
    at Context.eval (webpack:///./src/applications/{app}/tests/e2e/sign-in.cypress.spec.js:12:8)
%%
@@ coverage
Jest: "global" coverage threshold for lines (80%) not met: 79.8%
%%
@@ \baxe\b|accessibility|a11y|contrast
  1) Accessibility checks
       has no detectable a11y violations:
     AssertionError: 1 accessibility violation was detected: expected 1 to equal 0
       color-contrast: Elements must meet minimum color contrast ratio thresholds
%%
@@ smoke test
Smoke test failed: GET https://staging.example.gov/{app}/health -> 503 after 10 attempts
""".strip("\n")

SNIPPETS["deploy_log"] = r"""
@@ CrashLoopBackOff|crashloop|restarting|pods|\*
NAME                           READY   STATUS             RESTARTS      AGE
{app}-web-7c9d8f6b5d-2xkqp     0/1     CrashLoopBackOff   6 (82s ago)   9m
{app}-web-7c9d8f6b5d-h8s4n     0/1     CrashLoopBackOff   6 (75s ago)   9m
%%
@@ another operation|helm lock
Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress
%%
@@ rollout|replicas|never became ready|\*
Waiting for deployment "{app}-api" rollout to finish: 1 of 3 updated replicas are available...
error: deployment "{app}-api" exceeded its progress deadline
%%
@@ ImagePullBackOff|image pull|pull timed out|image tag
Failed to pull image "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/{app}:{sha}": rpc error: code = NotFound desc = failed to resolve reference
Back-off pulling image
%%
@@ \bargo\b|helm values|manifest
ComparisonError: failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = `helm template .` failed exit status 1
%%
@@ readiness|health check|probe|\bLB\b
Readiness probe failed: Get "http://10.2.14.33:3000/health": context deadline exceeded (Client.Timeout exceeded while awaiting headers)
%%
@@ OOMKilled|\bOOM\b|memory limits
Last State:     Terminated
  Reason:       OOMKilled
  Exit Code:    137
%%
@@ upstream connect|503|reset before headers|502
upstream connect error or disconnect/reset before headers. reset reason: connection failure
%%
@@ CreateContainerConfigError|secret \S+ not found|new namespace
Warning  Failed  12s (x4 over 48s)  kubelet  Error: CreateContainerConfigError: secret "{app}-env" not found
%%
@@ kyverno|admission|new policy
Error from server: admission webhook "validate.kyverno.svc" denied the request: resource Deployment/{app}/{app}-web was blocked due to the following policies: require-resource-limits
%%
@@ cluster unreachable|provide credentials|wrong cluster
Error: Kubernetes cluster unreachable: the server has asked for the client to provide credentials
%%
@@ S3|static site|AccessDenied
upload failed: build/index.html to s3://{app}-staging-assets/index.html An error occurred (AccessDenied) when calling the PutObject operation: Access Denied
%%
@@ DuplicateColumn|migration step|ran partially
== 20260512140311 AddStatusToClaims: migrating =================================
-- add_column(:claims, :status, :string)
rake aborted!
StandardError: An error has occurred, this and all later migrations canceled:
PG::DuplicateColumn: ERROR:  column "status" of relation "claims" already exists
%%
@@ lock timeout|long migrations|\block\b
PG::LockNotAvailable: ERROR:  canceling statement due to lock timeout
== AddIndexOnSubmissions: migrating ====
%%
@@ REDIS_URL|KeyError|secret got removed
KeyError: key not found: "REDIS_URL"
  /app/config/initializers/redis.rb:3:in `fetch'
%%
@@ smoke test|/health
Smoke test failed: GET https://staging.example.gov/{app}/health -> 503 after 10 attempts
%%
@@ quota|RI deploy|never came up|deploy for my review env failed|first deploy of it failed
Error: failed to create review instance {branch}: namespace quota exceeded (limit: 40 review instances)
""".strip("\n")

SNIPPETS["app_trace"] = r"""
@@ 500|NoMethodError|nil|\*
NoMethodError: undefined method `[]' for nil:NilClass
  app/services/{app}/status_service.rb:48:in `fetch_status'
  app/controllers/v0/status_controller.rb:12:in `show'
%%
@@ ReadTimeout|timeout|upstream|vendor
Faraday::TimeoutError: Net::ReadTimeout with #<TCPSocket:(closed)>
  lib/common/client/base.rb:105:in `request'
%%
@@ blank|console|promise
Uncaught (in promise) TypeError: Cannot read properties of null (reading 'data')
    at fetchAndUpdateSessionExpiration (api.js:48:33)
%%
@@ ChunkLoadError|CDN|bundle
ChunkLoadError: Loading chunk 8312 failed.
(error: https://www.example.gov/generated/{app}.entry.js)
%%
@@ statement timeout|super slow|painfully slow
ActiveRecord::StatementInvalid: PG::QueryCanceled: ERROR:  canceling statement due to statement timeout
%%
@@ sidekiq|workers|background job
Sidekiq::Shutdown: Sidekiq::Shutdown
  /usr/local/bundle/gems/sidekiq-7.2.0/lib/sidekiq/processor.rb:92:in `process_one'
%%
@@ structured logging|request id|502|upstream|\*
{"level":"error","time":"2026-06-03T17:22:08Z","service":"{app}","msg":"upstream request failed","status":502,"request_id":"a1c9e2f0-7b3d"}
%%
@@ redis
ERROR -- : [{app}] Redis::CannotConnectError: Error connecting to Redis on redis-staging:6379 (Errno::ECONNREFUSED)
%%
@@ my-account|500 for every
GET /my-account 500 (Internal Server Error)
ActionView::Template::Error (undefined local variable or method `current_user_profile')
%%
@@ OOM command|redis.*full
OOM command not allowed when used memory > 'maxmemory'.
%%
@@ CERT|cert|SSL
NET::ERR_CERT_DATE_INVALID
Your connection is not private. Attackers might be trying to steal your information from staging.example.gov
%%
@@ CORS
Access to fetch at 'https://staging-api.example.gov/v0/{app}' from origin 'https://staging.example.gov' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.
%%
@@ 503|POST returns|can't submit|submissions? .*fail
POST /v0/{app}/submissions 503 Service Unavailable (upstream request timeout)
""".strip("\n")

SNIPPETS["http_err"] = r"""
@@ not authorized|403|AWS|console|\*
HTTP/2 403
x-amzn-errortype: AccessDeniedException
{"message":"User is not authorized to access this resource"}
%%
@@ S3|bucket|AccessDenied
An error occurred (AccessDenied) when calling the ListObjectsV2 operation: Access Denied
%%
@@ 404|private repo|can't see the internal repos|repo access|write access
remote: Repository not found.
fatal: repository 'https://github.com/{org}/{repo}.git/' not found
%%
@@ permission|not authorized|access denied|\*
You don't have permission to access this page. Contact your administrator.
%%
@@ reach|connection refused|proxy|office network|times out
curl: (7) Failed to connect to staging-api.example.gov port 443 after 21003 ms: Couldn't connect to server
%%
@@ 401|unauthori|token
{"errors":[{"title":"Not authorized","detail":"Not authorized","code":"401","status":"401"}]}
%%
@@ SOCKS|proxy|\bssh\b|bastion|public key
channel 3: open failed: connect failed: Connection refused
ssh: connect to host bastion.staging.example.gov port 22: Operation timed out
%%
@@ not a member|projects show up|recorded runs
Error: You must be a member of the {team} team to view this project.
%%
@@ folders|permission denied|Grafana but
Permission denied. You do not have access to this folder. Ask your Grafana admin for access.
%%
@@ \bSSO\b|access to this organization
Your account does not have access to this organization. Re-authenticate with your identity provider to continue.
%%
@@ deactivated|stopped working
Your user account has been deactivated. Please contact your account administrator.
%%
@@ test runs|tester role|only view
You are not allowed to add test runs to this project (role: Read-only).
%%
@@ access denied|could edit|my role
Access denied
You are not authorized to access this page.
%%
@@ locked|can't log in|expired
Your account has been locked after too many failed sign-in attempts. Try again in 30 minutes.
""".strip("\n")

SNIPPETS["code"] = r"""
@@ alert component|dismiss|web component|va-alert
<va-alert status="info" visible>
  <h2 slot="headline">Your application is in progress</h2>
</va-alert>
%%
@@ uiSchema|array|list loop|add another|dependent
uiSchema: {
  'ui:title': 'Dependents',
  dependents: { 'ui:options': { itemName: 'Dependent', viewField: DependentField } },
},
%%
@@ \bGA4?\b|google analytics|click|GTM|events for
recordEvent({
  event: 'cta-button-click',
  'button-type': 'primary',
  'button-click-label': 'Start application',
});
%%
@@ workflow file|pipeline yaml|pipeline config|add a new step
- name: Deploy
  if: github.ref == 'refs/heads/main'
  uses: ./.github/workflows/deploy.yml
  with:
    environment: staging
%%
@@ \bflags?\b|Flipper
Flipper.enable(:{app}_new_flow, current_user)
%%
@@ \bbutton\b|va-button
<va-button text="Continue" onClick={goForward} />
%%
@@ CODEOWNERS|codeowner
# CODEOWNERS
src/applications/{app}/ @{org}/{team}-engineers
src/platform/ @{org}/platform-frontend
%%
@@ va-select|change event
<va-select label="Branch of service" name="branch" value={branch} onVaSelect={onChange}>
  <option value="army">Army</option>
</va-select>
%%
@@ schema|validation|required field|version a form
properties: {
  veteranFullName: { $ref: '#/definitions/fullName' },
  dateOfBirth: { type: 'string', format: 'date' },
},
required: ['veteranFullName', 'dateOfBirth'],
%%
@@ data layer|dataLayer|events show up
window.dataLayer.push({ event: 'form-submit-success', 'form-id': '{app}' });
""".strip("\n")

# which snippet pools a topic's requests draw from (pool, weight); shared on purpose
SNIPPET_POOLS = {
    "CI Error": [("ci_log", 6), ("test_log", 1), ("deploy_log", 1)],
    "Pipeline": [("ci_log", 3), ("deploy_log", 3), ("code", 1)],
    "Failed Deployment": [("deploy_log", 5), ("app_trace", 2), ("ci_log", 2)],
    "Test Failure": [("test_log", 5), ("ci_log", 2)],
    "Testing Tools": [("test_log", 2), ("code", 2)],
    "Testing Tool Access": [("http_err", 3), ("test_log", 1)],
    "Test Accounts/Data": [("http_err", 2), ("app_trace", 1), ("test_log", 1)],
    "Access Request": [("http_err", 5), ("ci_log", 1)],
    "Security": [("ci_log", 1), ("http_err", 2), ("app_trace", 1), ("code", 1)],
    "Environments": [("deploy_log", 2), ("http_err", 2), ("app_trace", 2)],
    "Review Instance": [("deploy_log", 3), ("http_err", 2), ("ci_log", 1)],
    "PR Review": [("code", 3), ("ci_log", 1), ("test_log", 1)],
    "App Logging/Monitoring": [("app_trace", 5), ("deploy_log", 1)],
    "Monitoring Dashboards": [("app_trace", 1), ("http_err", 1)],
    "Design System": [("code", 4), ("test_log", 1)],
    "Forms": [("code", 3), ("app_trace", 2)],
    "Analytics": [("code", 3)],
    "CMS": [("http_err", 1), ("ci_log", 1), ("code", 1)],
    "Orientation/Onboarding": [("http_err", 1)],
    "Something Else": [("code", 1), ("http_err", 1), ("app_trace", 1)],
}

# probability that a request carries a snippet
SNIPPET_RATE = {
    "CI Error": 0.40,
    "Pipeline": 0.20,
    "Failed Deployment": 0.32,
    "Test Failure": 0.38,
    "Testing Tools": 0.12,
    "Testing Tool Access": 0.10,
    "Test Accounts/Data": 0.08,
    "Access Request": 0.14,
    "Security": 0.10,
    "Environments": 0.18,
    "Review Instance": 0.14,
    "PR Review": 0.08,
    "App Logging/Monitoring": 0.28,
    "Monitoring Dashboards": 0.06,
    "Design System": 0.22,
    "Forms": 0.18,
    "Analytics": 0.14,
    "CMS": 0.06,
    "Orientation/Onboarding": 0.03,
    "Something Else": 0.06,
}

LOG_INTROS = [
    "",
    "",
    "",
    "error:",
    "here's the log:",
    "log excerpt:",
    "relevant bit:",
    "output:",
    "seeing this:",
    "fwiw this is what I get:",
    "Error below",
    "snippet:",
    "full error:",
    "this is what shows up:",
    "(log)",
]
CODE_INTROS = [
    "",
    "",
    "here's what we have:",
    "our code:",
    "for reference:",
    "this is what I tried:",
    "roughly:",
    "snippet:",
    "e.g.",
]

# link pools: {link kind: weight} per topic; PR/docs/ticket links are shared by everyone
LINK_KINDS = {
    "CI Error": {"run": 5, "pr": 3, "docs": 1, "ticket": 1},
    "Pipeline": {"run": 4, "argo": 2, "docs": 2, "ticket": 1},
    "Failed Deployment": {"run": 3, "argo": 3, "sentry": 1, "ticket": 1},
    "Test Failure": {"run": 4, "pr": 3, "ticket": 1},
    "Testing Tools": {"docs": 3, "pr": 1, "ticket": 1},
    "Testing Tool Access": {"docs": 2, "ticket": 2},
    "Test Accounts/Data": {"docs": 2, "ticket": 2, "pr": 1},
    "Access Request": {"docs": 3, "ticket": 3},
    "Security": {"docs": 2, "ticket": 2, "pr": 2, "run": 1},
    "Environments": {"docs": 2, "argo": 2, "ticket": 1},
    "Review Instance": {"pr": 5, "run": 1},
    "PR Review": {"pr": 2, "run": 1, "ticket": 1},
    "App Logging/Monitoring": {"sentry": 4, "dash": 2, "docs": 1},
    "Monitoring Dashboards": {"dash": 4, "sentry": 1, "docs": 1},
    "Design System": {"docs": 3, "pr": 2, "ticket": 1},
    "Forms": {"docs": 2, "pr": 2, "ticket": 1},
    "Analytics": {"docs": 2, "dash": 1, "ticket": 2},
    "CMS": {"docs": 2, "ticket": 2},
    "Orientation/Onboarding": {"docs": 4, "ticket": 1},
    "Something Else": {"docs": 3, "ticket": 2, "pr": 1},
}
LINK_RATE = 0.22

LINK_INTROS = [
    "link: ",
    "see ",
    "",
    "",
    "context: ",
    "ref ",
    "here: ",
    "(",
    "related: ",
]
RUN_LINK_INTROS = ["run: ", "failing run: ", "", "see ", "(", "latest run: "]

GREETINGS = [
    "hi team",
    "Hi all!",
    "hey :wave:",
    "Hello platform folks,",
    "morning!",
    "good afternoon all",
    "hey y'all",
    "hi there",
    "Hello!",
    "heya",
    ":wave: hi",
    "Hi everyone,",
    "hey folks",
    "Hi Platform team :wave:",
    "Good morning!",
    "hello hello",
    "hey team!",
    "Hi,",
    "Hi <!subteam^S02PLTSUPP|@platform-support>",
    "<!here>",
    "yo",
    "hey all,",
]

CONTEXT_LINES = [
    "not urgent, whenever someone has a minute",
    "this is blocking our sprint demo tomorrow :sweat_smile:",
    "sorry if this is the wrong channel!",
    "I searched the docs and couldn't find anything on this",
    "tagging {user} from my team who's also been looking at this",
    "we're on a tight deadline, launch is on the {date}",
    "posting on behalf of {user} who isn't in this channel yet",
    "I tried the /support form first but it didn't seem to post anything",
    "happy to jump on a huddle if that's easier",
    "let me know if you need more info!",
    "first time posting here, apologies if I'm missing something obvious",
    "we looked at this with our tech lead and we're stumped",
    "(cross-posting from <#{teamchan}|{team}>)",
    "moderately urgent, we have a stakeholder review friday",
    "this has happened twice this week",
    "it worked fine last week fwiw",
    "I'm out tomorrow so please reply to {user} if it's after today",
    "our team is {team} if that helps",
    "Sorry for the wall of text.",
    "no rush!",
    "asking for a teammate :slightly_smiling_face:",
    "can also open a ticket if you prefer",
    "Some background: we're the {team} team and we own {app}.",
    "we're a small team so any pointers help",
    "I might be missing something obvious here",
    "(I'm in Pacific time so I'll check back in a few hours)",
    "someone in office hours told me to post here",
    "is there a doc for this? happy to RTFM if someone points me at it",
    "we've burned most of the afternoon on this already",
    "not sure who owns this so starting here",
    "posted this in {supportchan} yesterday but it got buried",
    "(we discussed this in <#{teamchan}|{team}> and nobody knew)",
    "moving this here from <#{teamchan}|{team}>",
    "I also asked in {supportchan} last week, no luck",
]

SIGNOFFS = [
    "thanks!",
    "thank you!!",
    "ty",
    "thx :pray:",
    "appreciate any help",
    "Thanks in advance :pray:",
    "cheers",
    "much appreciated",
    "thanks y'all",
    ":pray:",
    ":bow:",
    "Thank you!",
    "tia",
    "thanks so much",
    "thanks :slightly_smiling_face:",
    "Thanks, {first}",
    "- {first}",
    "any help is appreciated",
    "thanks in advance!",
    ":pray: :pray:",
]

FOLLOWUPS = [
    "edit: still happening",
    "any update? :eyes:",
    "bump",
    "following up on this, still seeing it",
    "update: tried again, same thing",
    "EDIT: nvm the second part, figured it out",
    "cc {user}",
    ":eyes:",
    "bumping this since it's still blocking us",
    "+ {user} fyi",
    "Update: {user} on my team is seeing it too",
    "(edited to add: this is on {env})",
    "nvm, looks like it's working now? would still like to know what happened",
    "also posted in {supportchan}, sorry for the double post",
    "fyi discussion continuing in <#{teamchan}|{team}>",
]

EMOJI_TAILS = [
    " :pray:",
    " :sweat_smile:",
    " :thinking_face:",
    " :eyes:",
    " :sob:",
    " :upside_down_face:",
    " :slightly_smiling_face:",
    " :rotating_light:",
    " :face_palm:",
    " :white_check_mark:",
]

FIRST_NAMES = [
    "Sam",
    "Priya",
    "Jordan",
    "Alex",
    "Maria",
    "Chris",
    "Dana",
    "Lee",
    "Kim",
    "Ravi",
    "Jo",
    "Pat",
    "Morgan",
    "Taylor",
    "Nia",
    "Omar",
    "Beth",
    "Luis",
    "Mei",
    "Tom",
]
# ---------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------
ORG = "example-agency"

REPOS = [
    "web-app",
    "api-gateway",
    "forms-engine",
    "content-build",
    "claims-api",
    "identity-service",
    "notifications-svc",
    "facilities-api",
    "health-portal",
    "design-system",
    "infra-live",
    "docs-site",
    "profile-api",
    "appointments-api",
    "mobile-api",
]
APPS = [
    "appointments",
    "benefits-status",
    "claims-tracker",
    "facility-locator",
    "profile",
    "sign-in",
    "secure-messaging",
    "intake-wizard",
    "rx-refill",
    "travel-pay",
    "debt-portal",
    "caregiver-app",
    "records-search",
    "education-benefits",
    "notifications",
]
JOBS = [
    "unit-tests",
    "lint",
    "build",
    "e2e (chrome)",
    "docker-build",
    "typecheck",
    "cypress (3)",
    "security-scan",
    "build-storybook",
    "rspec",
    "bundle-audit",
    "deploy-staging",
]
ENVS = ["dev", "staging", "sandbox", "staging", "dev", "prod"]
BRANCH_WORDS = [
    "address-validation",
    "fix-header",
    "claim-status-v2",
    "upgrade-node",
    "rx-refill-banner",
    "remove-old-flag",
    "a11y-fixes",
    "new-intake-step",
    "bump-deps",
    "sentry-sourcemaps",
    "cms-preview",
    "dependents-loop",
    "login-redirect",
    "facility-hours",
    "travel-pay-mvp",
]

TEAMS = [
    # (team, relative size)
    ("benefits-intake", 14),
    ("health-apps", 16),
    ("identity", 9),
    ("facilities", 8),
    ("claims-status", 12),
    ("appointments", 10),
    ("secure-messaging", 7),
    ("notifications", 5),
    ("profile-settings", 8),
    ("education-benefits", 9),
    ("travel-pay", 6),
    ("records-search", 5),
    ("mobile-api", 7),
    ("debt-resolution", 6),
    ("caregivers", 5),
]

# Mild team/topic affinities (multipliers on who asks what; default 1.0).
TEAM_AFFINITY = {
    "identity": {"Access Request": 2.0, "Security": 2.5, "Test Accounts/Data": 2.0},
    "facilities": {"CMS": 3.0, "Analytics": 1.5},
    "benefits-intake": {"Forms": 2.5, "Design System": 1.5},
    "education-benefits": {"Forms": 2.0, "CMS": 1.5},
    "caregivers": {"Forms": 2.0},
    "health-apps": {"Test Accounts/Data": 1.6, "App Logging/Monitoring": 1.4},
    "mobile-api": {
        "App Logging/Monitoring": 1.8,
        "Monitoring Dashboards": 1.8,
        "Design System": 0.2,
    },
    "claims-status": {"Failed Deployment": 1.4, "Review Instance": 1.3},
    "notifications": {"Pipeline": 1.8, "Environments": 1.5},
    "profile-settings": {"Design System": 1.8, "Analytics": 1.5},
}

CHANNELS = [
    # (channel id, name, base weight)
    ("C02A7QK9PLS", "platform-support", 0.80),
    ("C03F8RWT2XM", "platform-frontend-support", 0.12),
    ("C04D1EVSN6B", "platform-devops-support", 0.08),
]
CHANNEL_TILT = {
    "Design System": {"C03F8RWT2XM": 4.0},
    "Forms": {"C03F8RWT2XM": 3.0},
    "CMS": {"C03F8RWT2XM": 2.0},
    "Analytics": {"C03F8RWT2XM": 1.5},
    "Failed Deployment": {"C04D1EVSN6B": 2.5},
    "Pipeline": {"C04D1EVSN6B": 2.5},
    "Environments": {"C04D1EVSN6B": 2.0},
    "CI Error": {"C04D1EVSN6B": 1.5},
    "Review Instance": {"C04D1EVSN6B": 1.5},
}

_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_SPLIT = re.compile(r"^%%$", re.MULTILINE)
# short messages that just say "it's broken" may get any generic log of their family
_TROUBLE = re.compile(
    r"fail|broke|\bred\b|error|stuck|\bdown\b|again|crash|not working|"
    r"flak|everything",
    re.IGNORECASE,
)
_GREETING_START = re.compile(r"^(hi|hey|hello|morning|good morning|heya)\b", re.IGNORECASE)


def split_block(block: str) -> list[str]:
    return [part.strip("\n") for part in _SPLIT.split(block) if part.strip()]


def parse_ambiguous(block: str) -> list[tuple[list[str], str]]:
    entries = []
    for part in split_block(block):
        header, _, body = part.partition("\n")
        topics = [t.strip() for t in header.lstrip("@").split("|")]
        entries.append((topics, body.strip("\n")))
    return entries


def slack_escape(text: str) -> str:
    # Slack's API escapes these three characters in message text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------
# Which page of the synthetic handbook (datasets/docs/) resolved a request.
# Judged from what the request body asks, by reading it against the pages, never
# from what supportml's ranker returns: (doc id, pattern on the lowercased body,
# chance that the page resolved it; doc "" means no page could). The first
# matching rule wins, so specific rules come before general ones. How-tos and
# known errors are often resolved by the page (0.45); requests that mostly need
# a person to act (grant, approve, roll back) seldom are (0.2). A separate
# seeded stream draws one number per row, so every other column is unchanged.
# ---------------------------------------------------------------------------
HOWTO = 0.45
ACTION = 0.2
DOC_RULES = [
    # no page resolves an outage ping ("grafana down?") or a plain request for a PR review
    (
        "",
        r"^[\w .'-]{0,30}\b(?:down|slow|stuck|broken|empty|dead|not deploying)\b[\w ]{0,12}\??(?: :[\w_]+:| :\()?$",
        0.0,
    ),
    # CI
    (
        "ci/runner-out-of-memory",
        r"exit code 137|heap out of memory|heap limit|no space left|sigkill|shutdown signal|maximum execution time|memory limit per container|supposed to take 25 minutes",
        HOWTO,
    ),
    (
        "ci/github-token-permissions",
        r"resource not accessible by integration|secrets aren't available|required secret is missing|input required and not supplied|could not read username|401 from the coverage",
        HOWTO,
    ),
    (
        "ci/required-checks",
        r"required check|waiting for status to be reported|stuck as pending|being skipped|thought was optional",
        HOWTO,
    ),
    (
        "ci/runner-images",
        r"\.nvmrc|exec format error|runner os image|actions/cache@v2|nokogiri|could not connect to server|buildx failed|typescript 5\.4",
        HOWTO,
    ),
    (
        "ci/dependency-install-failures",
        r"yarn install|yarnpkg|bundle install|econnreset|check-lockfile|unable to reserve cache|clear the actions cache|node-sass|pull rate limit|certificate has expired`? when fetching|can't resolve '@department",
        HOWTO,
    ),
    (
        "ci/debugging-ci-failures",
        r"merge queue|re-run only the failed|waiting for a runner|debug ci failures|shared step we don't own|merge commit vs the pr head|where do i see the actual failure|ci is red on my pr",
        HOWTO,
    ),
    # tests
    (
        "testing/unit-tests-in-ci",
        r"timezone-related|what tz|textencoder|fetch is not defined|cannot find module '\.\.|import statement outside|snapshot tests|wrapped in act|coverage check|junit report|precision change in timestamps|integration test against the staging api",
        HOWTO,
    ),
    (
        "testing/e2e-tests",
        r"cy\.login|cypress failed to verify|first `cy\.visit`|e2e suite takes|wait for an element in cypress|run just one cypress spec|record a test run|shared helper for logging in a test user|file uploads? in the ci browser",
        HOWTO,
    ),
    (
        "testing/flaky-tests",
        r"flaky (?:test|cypress|`)|flaky e2e|known flaky|intermittently with|only fails when run in the full suite|1 in 5 runs|only on mondays|passes locally every time but fails in ci",
        HOWTO,
    ),
    (
        "testing/testing-tools",
        r"testrail still the tool|cypress or playwright|recommended e2e tool|mock the feature flag|visual regression testing to our app|version of cypress|contract tests against|advice on testing tools for load|coverage report for just|test emails locally|react 18",
        HOWTO,
    ),
    (
        "testing/accessibility-testing",
        r"axe|screen readers / browsers|accessibility testing|accessibility checks",
        HOWTO,
    ),
    (
        "testing/testing-tool-access",
        r"testrail|browserstack|cypress cloud|cypress dashboard|percy|sauce labs|load testing tool|load test results|screen reader testing lab",
        ACTION,
    ),
    # code review
    (
        "code-review/codeowners",
        r"added as code owners|who's in that group|requires review from code owners|second reviewer",
        HOWTO,
    ),
    (
        "code-review/getting-a-pr-reviewed",
        r"sla for platform pr|review rotation|how do i request a review|went on vacation|dismissed automatically|draft pr|who should review|who needs to review|who reviews changes|wait for platform to look",
        HOWTO,
    ),
    # review instances (those named with their PR), then other requests about a PR
    (
        "environments/review-instances/index",
        r"keep a review instance alive|how long do they stay up|use real staging data|without the socks proxy|naming pattern for review|feature flags\? i need to turn|point a review instance at|point at the staging api|mocks for an ri|pr from a fork|content repo too|how many review instances|share a review instance link|staging or a review environment|content is baked in|mock api server be used for the review",
        HOWTO,
    ),
    (
        "environments/review-instances/troubleshooting",
        r"the ri link on|review instance for \{pr\}",
        HOWTO,
    ),
    ("", r"\{prlink\}|\{pr\}|1px differences", 0.0),
    # test data
    ("testing/mock-data", r"mock data|mock user|real looking data|synthetic data|seed file", HOWTO),
    (
        "testing/test-accounts",
        r"test (?:user|account|veteran)|test accounts|sandbox users|sandbox test user|login for staging|test data|verification test flow",
        HOWTO,
    ),
    # deploys and the pipeline
    ("deploy/jenkins-migration", r"jenkins", HOWTO),
    ("deploy/database-migrations", r"migration", HOWTO),
    (
        "deploy/cdn-cache-invalidation",
        r"\bcdn\b|invalidation|old js bundle|chunkloaderror|s3 sync",
        HOWTO,
    ),
    (
        "deploy/troubleshooting-deployments",
        r"crashloopbackoff|imagepullbackoff|oomkilled|readiness probe|rollout status timed out|createcontainerconfigerror|kyverno|another operation \(install|cluster unreachable|validationerror|502s on staging|wrong cluster|deploy logs|only 1 of 3 replicas|keyerror|codestorageexceeded|pull timed out|smoke test on `/health`|workers didn't restart|three of our last four|not on production|which version is serving|keeps restarting",
        HOWTO,
    ),
    ("deploy/rolling-back", r"roll ?back|rollback|revert|failed half way", ACTION),
    (
        "deploy/release-schedule",
        r"cutoff|didn't include our merge|today's release|release go out|deploy freeze|release freeze|hotfix|left out",
        HOWTO,
    ),
    (
        "deploy/pipeline-configuration",
        r"add a new step|deploy automatically to staging|manual trigger|concurrency configured|skip the e2e stage|pipeline templates|build arg|post to our team channel|auto-deploy list|single service from the monorepo|env var to the pipeline|pin a service|reorder the pipeline|multiple workloads|workflow run twice",
        HOWTO,
    ),
    (
        "deploy/pipeline-overview",
        r"stages of the deployment pipeline|waiting for approval|approve button|which stages exist|\"release\" workflow|which commit is currently in each stage|promoted from dev to staging|rolled back our deploy automatically|rollback initiated|\"deployed to staging\"|never started|hasn't picked up my merge|sync to argo|update manifests|rebuilt again in the deploy|source branch picked|smoke test\" stage|what triggers the content build stage|build artifacts kept|promote-to-prod stage|what version of each service",
        HOWTO,
    ),
    # environments
    (
        "environments/configuration-and-secrets",
        r"environment variable|new env var|feature flag is enabled in staging|per-env config|new secret in staging|staging env vars|where do we put it|storing secrets",
        HOWTO,
    ),
    (
        "environments/staging-data-and-maintenance",
        r"reset overnight|got wiped|demo tomorrow|demo the new flow|nightly content sync|old copy of the content|redis in staging is full|saturday|scaled up for our user research|staging database shared|data refreshed from the fixtures",
        HOWTO,
    ),
    (
        "environments/overview",
        r"difference between dev and staging|uat environment|status page for the environments|egress allowlist|cors setup|upstream connect error|new subdomain|cron running in|staging version of the api docs|environment parity|load testing\? running it against staging|matches prod exactly|real vendor sandbox",
        HOWTO,
    ),
    # access
    (
        "access/socks-proxy-and-vpn",
        r"socks|vpn|bastion|proxy isn't working|connection refused|access to the staging environment",
        HOWTO,
    ),
    (
        "access/offboarding-and-access-reviews",
        r"remove \{user\}|revoke access|left the company|rolled off|former contractor|access review|who has access to our prod secrets",
        ACTION,
    ),
    (
        "access/break-glass-access",
        r"break-glass|elevated access|\"deployer\" role|see the prod secrets",
        ACTION,
    ),
    (
        "access/observability-tool-access",
        r"access to sentry|datadog access|datadog read access|folders say \"permission denied\"|pagerduty|admin on our team's sentry|edit rights to the whole",
        ACTION,
    ),
    (
        "access/github-org-and-teams",
        r"github org|org invite|github team|write access to \{repo\}|\"maintain\" role|private repos|internal repos|sign into github with sso|404 on \{repo\}|read access to \{repo\}|bot account|github access to the org|need github access|approves repo access",
        ACTION,
    ),
    (
        "access/aws-sso",
        r"aws console|aws sso|aws access|accessdenied|prod account|dev and staging aws|prod in cloudwatch|database replica|staging redis",
        ACTION,
    ),
    (
        "access/requesting-access",
        r"access request|requested aws access|what does she need|new dev starts|turnaround on access|same access|slack user group|kubectl access|access to argo|feature flag admin|1password vault|new team member needs access|new qa person",
        ACTION,
    ),
    # security
    (
        "security/pii-in-logs",
        r"pii|full ssns|personal info|email addresses being logged|their own ssn",
        HOWTO,
    ),
    (
        "security/leaked-secrets",
        r"committed an api key|leaked a token|shared a prod credential|secret scanning|rotate the database credentials",
        HOWTO,
    ),
    (
        "security/vulnerability-alerts",
        r"dependabot|snyk|cve|container scan|xss sink|low reputation|security scan job fails|moderate vuln",
        HOWTO,
    ),
    (
        "security/security-reviews",
        r"security review|third-party api|content security policy|enable cors|rate limiting|session timeouts|signing keys|mfa required for the service|ato paperwork|pen test|phishing|publicly reachable|outside vendor|scanning service",
        HOWTO,
    ),
    # onboarding and support
    (
        "getting-started/platform-orientation",
        r"orientation|recording of the platform|intro session|intro to the platform|overview for non-engineers",
        HOWTO,
    ),
    (
        "getting-started/new-team-onboarding",
        r"new to the platform|onboarding tracker|transitioning from another vendor|brand new team|first 30 days|intake|whole team",
        HOWTO,
    ),
    ("getting-started/slack-channels", r"slack channels|new slack channel", HOWTO),
    (
        "getting-started/local-development-setup",
        r"monorepo running locally|local setup instructions",
        HOWTO,
    ),
    (
        "getting-started/onboarding-checklist",
        r"onboarding checklist|new engineer starting|half the links in the onboarding|links in the onboarding doc|where do i start|ask for the onboarding docs|starting on \{team\}|new here",
        HOWTO,
    ),
    ("support/incident-postmortems", r"postmortem|incident summary", HOWTO),
    ("support/maintenance-calendar", r"maintenance window|code freeze", HOWTO),
    (
        "support/office-hours",
        r"office hours|sprint demo|engineering sync|recording from yesterday",
        HOWTO,
    ),
    (
        "support/who-owns-what",
        r"who owns|which platform team owns|product owner|roadmap|domain name|product directory|vendors / tools|cloud costs|cloud bill|shortened url|site header|rate limits for a partner",
        HOWTO,
    ),
    (
        "support/how-platform-support-works",
        r"slack workflow to report|support bot|how platform support works|what's in scope|how long should we expect|requests our team made",
        HOWTO,
    ),
    (
        "support/faq",
        r"feature flags around|release notes|api versioning|diagrams|feedback about the platform docs|broken links|midpoint review|report doc issues",
        HOWTO,
    ),
    # monitoring, with the remaining review instance questions before the generic "logs"
    (
        "monitoring/dashboard-troubleshooting",
        r"\"no data\"|flat line|slow to load|don't add up|disappeared|doesn't list our new service|services that don't exist|errors from review instances",
        HOWTO,
    ),
    ("environments/review-instances/troubleshooting", r"review instance|\bri\b|review env", HOWTO),
    # frontend and content
    (
        "frontend/design-system/contributing",
        r"contribute a new component|new variant|file an issue with the design system|dark mode",
        HOWTO,
    ),
    (
        "frontend/forms/save-in-progress",
        r"save-in-progress|save in progress|pdf|submissions of our form|version a form|confirmation number|file uploads larger|submitted forms go|\"continue\" button|omb expiration",
        HOWTO,
    ),
    (
        "frontend/forms/forms-library",
        r"forms library|conditional field|prefill|uischema|list loop|character limit|review and submit|multi-page form",
        HOWTO,
    ),
    (
        "frontend/analytics/reports",
        r"report of how many|custom dashboard|domo|traffic numbers|weekly number of users",
        HOWTO,
    ),
    (
        "frontend/analytics/events",
        r"analytics|ga4|gtm|google analytics|utm|track|debug view",
        HOWTO,
    ),
    (
        "frontend/design-system/index",
        r"design system|component|<va-|figma|font|spacing tokens|icons|storybook|typography|tooltip|spinner|radio buttons|wording of standard error messages",
        HOWTO,
    ),
    (
        "content/content-release",
        r"content build|content change|change live|edit live|images uploaded|unpublished|old hours|staging cms",
        HOWTO,
    ),
    (
        "content/cms-editor-guide",
        r"\bcms\b|drupal|content editor|revision history|content type|schedule a content|url for a new page|migrating 200 pages|reviewer for our section|rich text editor|disclaimer|content api tokens",
        HOWTO,
    ),
    ("monitoring/dashboards", r"dashboard|grafana|panel|error rates for our service", HOWTO),
    ("monitoring/sentry", r"sentry|source maps", HOWTO),
    (
        "monitoring/alerts",
        r"alert|paged|monitor|uptime|notified|custom metric|statsd|audit logging|on-call schedule",
        HOWTO,
    ),
    ("monitoring/logs", r"\blogs?\b|logging|datadog|apm|trace|retention", HOWTO),
]


def assign_resolving_docs(rows: list[dict], seed: int) -> int:
    """Fill ``resolved_by_doc`` of each row (see DOC_RULES); returns how many name a page."""
    rng = random.Random(seed)
    rules = [(doc, re.compile(pattern), chance) for doc, pattern, chance in DOC_RULES]
    for row in rows:
        draw = rng.random()
        body = row["_body"].lower()
        match = next(
            ((doc, chance) for doc, pattern, chance in rules if pattern.search(body)), None
        )
        row["resolved_by_doc"] = match[0] if match and draw < match[1] else ""
    return sum(bool(row["resolved_by_doc"]) for row in rows)


class Generator:
    def __init__(self, seed: int = SEED):
        self.seed = seed
        self.rng = random.Random(seed)
        self.bodies = {
            t: split_block(b) + split_block(MORE_BODIES.get(t, "")) for t, b in BODIES.items()
        }
        self.ambiguous = parse_ambiguous(AMBIGUOUS)
        self.snippets = {
            k: [self._parse_snippet(x) for x in split_block(v)] for k, v in SNIPPETS.items()
        }
        for topic in TARGETS:
            assert topic in self.bodies, topic
        self._make_people()
        self._make_calendar()

    @staticmethod
    def _parse_snippet(block: str) -> tuple[re.Pattern, str]:
        header, _, text = block.partition("\n")
        assert header.startswith("@@ "), header
        return re.compile(header[3:], re.IGNORECASE), text

    # -- people -----------------------------------------------------------
    def _slack_id(self, prefix: str, taken: set) -> str:
        while True:
            uid = (
                prefix
                + self.rng.choice("1234567")
                + "".join(self.rng.choice(_ALNUM) for _ in range(6))
            )
            if uid not in taken:
                taken.add(uid)
                return uid

    def _make_people(self) -> None:
        rng = self.rng
        taken: set = set()
        team_names = [t for t, _ in TEAMS]
        team_sizes = [s for _, s in TEAMS]
        self.requesters = []  # (user id, team, activity weight)
        for rank in range(150):
            uid = self._slack_id("U0", taken)
            team = rng.choices(team_names, weights=team_sizes)[0]
            # heavy-tailed activity: a few people ask a lot
            weight = 1.0 / (rank + 8)
            self.requesters.append((uid, team, weight))
        rng.shuffle(self.requesters)
        self.staff = [self._slack_id("U0", taken) for _ in range(12)]
        self.team_channels = {
            t: "C0" + "".join(rng.choice(_ALNUM) for _ in range(9)) for t in team_names
        }

    def pick_requester(self, topic: str) -> tuple[str, str]:
        weights = [
            w * TEAM_AFFINITY.get(team, {}).get(topic, 1.0) for _, team, w in self.requesters
        ]
        uid, team, _ = self.rng.choices(self.requesters, weights=weights)[0]
        return uid, team

    # -- time -------------------------------------------------------------
    def _make_calendar(self) -> None:
        rng = self.rng
        days = []
        d = DATE_START
        while d <= DATE_END:
            days.append(d)
            d += dt.timedelta(days=1)
        self.days = days
        weeks = sorted({day.isocalendar()[1] for day in days})
        # a handful of busy weeks (releases, incidents) and quiet holiday weeks
        busy = rng.sample(weeks, 7)
        self.incident_weeks = busy[:3]
        week_mult = {w: 1.0 for w in weeks}
        for w in busy:
            week_mult[w] = rng.uniform(1.25, 1.6)
        for holiday in (dt.date(2026, 5, 25), dt.date(2026, 7, 3), dt.date(2026, 9, 7)):
            week_mult[holiday.isocalendar()[1]] = 0.55
        self.day_weights = []
        for i, day in enumerate(days):
            w = week_mult[day.isocalendar()[1]]
            w *= 0.08 if day.weekday() >= 5 else (0.85 if day.weekday() == 4 else 1.0)
            w *= 0.85 + 0.3 * i / len(days)  # adoption grows slowly over time
            self.day_weights.append(w)
        # UTC hour weights: US working hours (about 13:00-23:00 UTC) dominate
        self.hour_weights = [
            0.25,
            0.15,
            0.1,
            0.05,
            0.05,
            0.05,
            0.05,
            0.1,
            0.2,
            0.4,
            0.6,
            0.9,  # 00-11
            1.5,
            3.0,
            4.5,
            5.0,
            4.6,
            4.2,
            4.4,
            4.6,
            4.0,
            3.0,
            1.8,
            0.8,  # 12-23
        ]

    def pick_time(self, topic: str) -> dt.datetime:
        rng = self.rng
        weights = self.day_weights
        if topic in ("Failed Deployment", "CI Error", "Pipeline", "Environments"):
            weights = [
                w * (1.7 if d.isocalendar()[1] in self.incident_weeks else 1.0)
                for d, w in zip(self.days, weights, strict=True)
            ]
        day = rng.choices(self.days, weights=weights)[0]
        hour = rng.choices(range(24), weights=self.hour_weights)[0]
        return dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60))

    # -- placeholder values --------------------------------------------------
    def value(self, key: str, ctx: dict) -> str:
        rng = self.rng
        if key in ctx:
            return ctx[key]
        if key == "repo":
            v = rng.choice(REPOS)
        elif key == "app":
            v = rng.choice(APPS)
        elif key == "env":
            v = rng.choice(ENVS)
        elif key == "org":
            v = ORG
        elif key == "team":
            v = ctx["_team"]
        elif key == "teamchan":
            v = self.team_channels[ctx["_team"]]
        elif key == "supportchan":
            cid, name, _ = self.rng.choice(CHANNELS)
            v = f"<#{cid}|{name}>"
        elif key == "pr":
            v = str(rng.randint(1200, 31999))
        elif key == "prlink":
            n = self.value("pr", ctx)
            repo = self.value("repo", ctx)
            v = rng.choice(
                [
                    f"<https://github.com/{ORG}/{repo}/pull/{n}|PR {n}>",
                    f"<https://github.com/{ORG}/{repo}/pull/{n}>",
                    f"<https://github.com/{ORG}/{repo}/pull/{n}|{repo}#{n}>",
                    f"<https://github.com/{ORG}/{repo}/pull/{n}|this PR>",
                ]
            )
        elif key in ("user", "user2"):
            pool = self.staff if rng.random() < 0.5 else [u for u, _, _ in self.requesters]
            v = f"<@{rng.choice(pool)}>"
            if key == "user2" and v == ctx.get("user"):
                v = f"<@{self.staff[0]}>"
        elif key == "ghuser":
            v = rng.choice(
                [
                    "jdoe",
                    "sam-k",
                    "priya-dev",
                    "mgarcia",
                    "tlee-gov",
                    "alexw",
                    "nia-codes",
                    "omar-h",
                    "kim-chen",
                    "rk2026",
                    "pat-ops",
                    "dana-ux",
                ]
            )
        elif key == "branch":
            v = (
                f"{rng.choice(['feature', 'fix', 'chore', 'jd'])}/{rng.randint(100, 9999)}-"
                f"{rng.choice(BRANCH_WORDS)}"
            )
        elif key == "job":
            v = rng.choice(JOBS)
        elif key == "sha":
            v = "".join(rng.choice("0123456789abcdef") for _ in range(7))
        elif key == "date":
            v = rng.choice(["15th", "1st", "22nd", "30th", "9th", "3rd"])
        elif key == "first":
            v = rng.choice(FIRST_NAMES)
        else:
            return "{" + key + "}"
        ctx[key] = v
        return v

    def fill(self, text: str, ctx: dict) -> str:
        return _PLACEHOLDER.sub(lambda m: self.value(m.group(1), ctx), text)

    # -- noise ----------------------------------------------------------------
    def typo_word(self, w: str) -> str:
        rng = self.rng
        i = rng.randrange(1, len(w) - 1)
        op = rng.random()
        if op < 0.4:
            return w[:i] + w[i + 1] + w[i] + w[i + 2 :]
        if op < 0.7:
            return w[:i] + w[i + 1 :]
        if op < 0.85:
            return w[:i] + w[i] + w[i:]
        return w[:i] + rng.choice("asdfghjklertyuio") + w[i + 1 :]

    def add_typos(self, text: str, n: int) -> str:
        # only touch plain words outside inline code
        parts = re.split(r"(`[^`]*`)", text)
        idx = [
            (pi, m.start(), m.end())
            for pi, p in enumerate(parts)
            if not p.startswith("`")
            for m in re.finditer(r"(?<![\w@#{/.:-])[a-z]{5,}(?![\w}/.:-])", p)
        ]
        if not idx:
            return text
        for pi, s, e in sorted(self.rng.sample(idx, min(n, len(idx))), key=lambda t: -t[1]):
            p = parts[pi]
            parts[pi] = p[:s] + self.typo_word(p[s:e]) + p[e:]
        return "".join(parts)

    def snippet(self, topic: str, body: str, ctx: dict) -> str | None:
        rng = self.rng
        vague = (
            "`" not in body
            and '"' not in body
            and len(body) < 90
            and _TROUBLE.search(body) is not None
        )
        cands, weights = [], []
        for pool, w in SNIPPET_POOLS[topic]:
            for pattern, text in self.snippets[pool]:
                m = pattern.search(body)
                if m or (vague and pattern.pattern.endswith(r"|\*")):
                    cands.append((pool, text))
                    # longer (more specific) matches win: "SENTRY_AUTH_TOKEN" beats "token"
                    weights.append(w * (1 + len(m.group(0)) ** 2 if m else 1))
        if not cands:
            return None
        pool, text = rng.choices(cands, weights=weights)[0]
        lines = text.split("\n")
        if len(lines) > 3 and rng.random() < 0.35:  # people paste partial logs
            start = rng.randrange(0, len(lines) - 2)
            lines = lines[start : start + rng.randint(2, len(lines) - start)]
        text = self.fill(slack_escape("\n".join(lines)), ctx)
        intro = rng.choice(CODE_INTROS if pool == "code" else LOG_INTROS)
        r = rng.random()
        if len(lines) == 1 and r < 0.35:
            block = f"`{text}`"
        elif r < 0.88:
            block = f"```{text}```" if rng.random() < 0.5 else f"```\n{text}\n```"
        else:
            block = "\n".join("&gt; " + ln for ln in text.split("\n"))
        return (intro + "\n" + block) if intro else block

    def link(self, topic: str, ctx: dict) -> str:
        rng = self.rng
        kinds = LINK_KINDS[topic]
        kind = rng.choices(list(kinds), weights=list(kinds.values()))[0]
        repo = self.value("repo", ctx)
        app = self.value("app", ctx)
        n = rng.randint(100, 99999)
        if kind == "pr":
            url = self.value("prlink", ctx)
        elif kind == "run":
            rid = rng.randint(8000000000, 9999999999)
            url = rng.choice(
                [
                    f"<https://github.com/{ORG}/{repo}/actions/runs/{rid}|run>",
                    f"<https://github.com/{ORG}/{repo}/actions/runs/{rid}>",
                    f"<https://github.com/{ORG}/{repo}/actions/runs/{rid}/job/{rid + 17}|failing job>",
                ]
            )
        elif kind == "argo":
            url = (
                f"<https://argocd.platform.example.gov/applications/{app}-{rng.choice(ENVS)}|argo>"
            )
        elif kind == "sentry":
            url = (
                f"<https://sentry.platform.example.gov/organizations/{ORG}/issues/{n}/"
                "|sentry issue>"
            )
        elif kind == "dash":
            url = rng.choice(
                [
                    f"<https://grafana.platform.example.gov/d/{n}/{app}-overview|dashboard>",
                    f"<https://app.datadoghq.example/dashboard/{n}|datadog>",
                ]
            )
        elif kind == "docs":
            slug = rng.choice(
                [
                    "getting-started",
                    "support",
                    "ci-cd",
                    "environments",
                    "access-requests",
                    "testing",
                    "monitoring",
                    "review-instances",
                    "content",
                    "faq",
                ]
            )
            url = rng.choice(
                [
                    f"<https://docs.platform.example.gov/{slug}|the docs>",
                    f"<https://docs.platform.example.gov/{slug}>",
                ]
            )
        else:  # ticket
            url = rng.choice(
                [
                    f"<https://github.com/{ORG}/platform-support/issues/{n}|#{n}>",
                    f"<https://github.com/{ORG}/platform-support/issues/{n}>",
                ]
            )
        intro = rng.choice(RUN_LINK_INTROS if kind == "run" else LINK_INTROS)
        return intro + url + (")" if intro == "(" else "")

    def compose(self, topic: str, body: str, team: str) -> str:
        rng = self.rng
        ctx: dict = {"_team": team}
        text = self.fill(slack_escape(body), ctx)
        if rng.random() < 0.25:
            n_typos = rng.choice([1, 1, 1, 2])
            if len(text) > 250 and rng.random() < 0.5:
                n_typos += 1
            text = self.add_typos(text, n_typos)
        if rng.random() < 0.08 and "`" not in text and '"' not in text:
            text = text.lower()
        terse = len(body) < 50
        pieces = [text]
        if rng.random() < (0.05 if terse else 0.18):
            line = self.fill(rng.choice(CONTEXT_LINES), ctx)
            if rng.random() < 0.5:
                pieces.insert(0, line)
            else:
                pieces.append(line)
        if rng.random() < SNIPPET_RATE[topic]:
            snip = self.snippet(topic, body, ctx)
            if snip:
                pieces.append(snip)
        if rng.random() < LINK_RATE and "<http" not in text:
            pieces.append(self.link(topic, ctx))
        sep = "\n\n" if any("\n" in p for p in pieces) or rng.random() < 0.3 else " "
        msg = sep.join(pieces)
        r = rng.random()
        if terse:
            r = r * 2.5  # terse posters rarely greet or sign off
        if r < 0.40 and not _GREETING_START.match(body):
            greet = rng.choice(GREETINGS)
            if rng.random() < 0.15:
                greet = f"<@{rng.choice(self.staff)}> " + greet
            msg = greet + (" " if rng.random() < 0.6 else "\n") + msg
        elif r < 0.50:
            msg = f"<@{rng.choice(self.staff)}> " + msg
        if rng.random() < (0.12 if terse else 0.38):
            msg += (" " if rng.random() < 0.6 else "\n") + self.fill(rng.choice(SIGNOFFS), ctx)
        elif rng.random() < 0.08:
            msg += rng.choice(EMOJI_TAILS)
        if rng.random() < 0.07:
            msg += "\n\n" + self.fill(rng.choice(FOLLOWUPS), ctx)
        return msg

    # -- rows -----------------------------------------------------------------
    def pick_channel(self, topic: str) -> str:
        tilt = CHANNEL_TILT.get(topic, {})
        weights = [w * tilt.get(cid, 1.0) for cid, _, w in CHANNELS]
        return self.rng.choices([c for c, _, _ in CHANNELS], weights=weights)[0]

    def generate(self) -> tuple[list[dict], dict]:
        rng = self.rng
        drafts = []
        stats = {"ambiguous": 0, "mislabelled": 0}
        for topic, n in TARGETS.items():
            bodies = self.bodies[topic][:]
            rng.shuffle(bodies)
            amb = [(topics, body) for topics, body in self.ambiguous if topic in topics]
            amb_w = [2.0 if topics[0] == topic else 1.0 for topics, _ in amb]
            k = 0
            for _ in range(n):
                if amb and rng.random() < AMBIGUOUS_RATE:
                    body = rng.choices(amb, weights=amb_w)[0][1]
                    origin = "ambiguous"
                    stats["ambiguous"] += 1
                else:
                    body = bodies[k % len(bodies)]
                    origin = "clean"
                    k += 1
                    if k % len(bodies) == 0:
                        rng.shuffle(bodies)
                user, team = self.pick_requester(topic)
                drafts.append(
                    {
                        "created": self.pick_time(topic),
                        "channel": self.pick_channel(topic),
                        "user": user,
                        "requester_team": team,
                        "text": self.compose(topic, body, team),
                        "topic": topic,
                        "origin": origin,
                        "body": body,
                    }
                )
        # human label noise: a few rows get a plausible-but-wrong topic
        topics = list(TARGETS)
        n_wrong = round(MISLABEL_RATE * len(drafts))
        for i in rng.sample(range(len(drafts)), n_wrong):
            true = drafts[i]["topic"]
            if rng.random() < 0.75:
                new = rng.choice(NEIGHBOURS[true])
            else:
                new = rng.choice([t for t in topics if t != true])
            drafts[i]["topic"] = new
            drafts[i]["origin"] = "mislabelled"
        stats["mislabelled"] = n_wrong
        drafts.sort(key=lambda r: (r["created"], r["user"]))
        rows = []
        for i, r in enumerate(drafts, start=1):
            rows.append(
                {
                    "id": f"req-{i:04d}",
                    "created_at": r["created"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "channel": r["channel"],
                    "user": r["user"],
                    "requester_team": r["requester_team"],
                    "text": r["text"],
                    "topic": r["topic"],
                    "_origin": r["origin"],  # not written; handy for analysis
                    "_body": r["body"],  # not written; what resolved_by_doc is judged from
                }
            )
        stats["rows"] = len(rows)
        stats["resolved_by_doc"] = assign_resolving_docs(rows, self.seed + 1)
        return rows, stats


COLUMNS = [
    "id",
    "created_at",
    "channel",
    "user",
    "requester_team",
    "text",
    "topic",
    "resolved_by_doc",
]


def write_csv(rows: list[dict], path: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", default=OUT_PATH, help="CSV path to write")
    args = parser.parse_args(argv)
    rows, stats = Generator(SEED).generate()
    write_csv(rows, args.output)
    print(
        f"wrote {stats['rows']} rows to {args.output} "
        f"({stats['ambiguous']} ambiguous, {stats['mislabelled']} mislabelled, "
        f"{stats['resolved_by_doc']} resolved by a handbook page)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
