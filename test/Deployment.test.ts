import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { network } from "hardhat";
import { getAddress } from "viem";

import Web3Torrent from "../deploy/Web3Torrent.ts";

const { viem, ignition, networkHelpers } = await network.create();

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The Ignition module with no parameters: what a deployment that sets none gets. */
async function deployedWithDefaults() {
  const [deployer] = await viem.getWalletClients();
  const contracts = await ignition.deploy(Web3Torrent);
  return { ...contracts, deployer: getAddress(deployer.account.address) };
}

describe("Deployment (the Ignition module deploy/Web3Torrent.ts)", () => {
  it("wires the four contracts together, the pool bound to the market, all owned by the deployer", async () => {
    const { licenseMarket, rebatePool, checkpointEscrow, ws402Deposits, deployer } = await networkHelpers.loadFixture(deployedWithDefaults);
    assert.equal(await licenseMarket.read.rebatePool(), getAddress(rebatePool.address));
    assert.equal(await rebatePool.read.licenseMarket(), getAddress(licenseMarket.address));
    assert.equal(await checkpointEscrow.read.market(), getAddress(licenseMarket.address));
    for (const contract of [licenseMarket, rebatePool, checkpointEscrow, ws402Deposits]) {
      assert.equal(await contract.read.owner(), deployer);
    }
  });

  it("uses the product's defaults: a 1-hour challenge window, 30-day allowance expiry, a grace period of minutes", async () => {
    const { licenseMarket, rebatePool, checkpointEscrow, ws402Deposits } = await networkHelpers.loadFixture(deployedWithDefaults);
    // PRODUCT.md: "a challenge window (configurable, default 1 hour)".
    assert.equal(await checkpointEscrow.read.challengeWindow(), HOUR);
    assert.equal(await checkpointEscrow.read.idleExpiry(), 7 * DAY);
    // "Allowance still unearned after an expiry window (configurable, e.g. 30 days after purchase)".
    assert.equal(await rebatePool.read.allowanceExpiry(), 30 * DAY);
    assert.equal(await rebatePool.read.epochDuration(), DAY);
    // "requestClose starts a grace period (seed: 30 s to minutes, configurable)".
    assert.equal(await ws402Deposits.read.gracePeriod(), 5 * MINUTE);
    assert.ok((await ws402Deposits.read.gracePeriod()) >= (await ws402Deposits.read.MIN_GRACE_PERIOD()));
    // Fees within the caps the market enforces.
    assert.equal(await licenseMarket.read.networkFeeBps(), 500);
    assert.ok((await licenseMarket.read.networkFeeBps()) <= (await licenseMarket.read.MAX_NETWORK_FEE_BPS()));
    // "the publisher first commits ..., then registers after a minimum delay": a minute on a public chain.
    assert.equal(await licenseMarket.read.minCommitmentAge(), BigInt(MINUTE));
    assert.equal(await licenseMarket.read.paused(), false);
    assert.equal(await checkpointEscrow.read.paused(), false);
    assert.equal(await ws402Deposits.read.paused(), false);
  });
});
