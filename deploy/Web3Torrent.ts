import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Deploys the four Web3Torrent contracts and wires them together:
 * RebatePool → LicenseMarket(pool) → pool.bindLicenseMarket(market) → CheckpointEscrow(market), WS402Deposits.
 * Every value below can be overridden per network with a parameters file (see deploy/parameters/).
 */
const DAY = 24 * 60 * 60;

export default buildModule("Web3Torrent", (m) => {
  const owner = m.getParameter("owner", m.getAccount(0));

  const rebatePool = m.contract("RebatePool", [owner, m.getParameter("epochDuration", DAY), m.getParameter("allowanceExpiry", 30 * DAY)]);
  const licenseMarket = m.contract("LicenseMarket", [
    owner,
    rebatePool,
    m.getParameter("networkFeeBps", 500),
    m.getParameter("metadataUri", ""),
    // Seconds between a registration's commitment and its reveal: a minute on a public chain, seconds locally.
    m.getParameter("minCommitmentAge", 60),
  ]);
  m.call(rebatePool, "bindLicenseMarket", [licenseMarket]);

  const checkpointEscrow = m.contract("CheckpointEscrow", [
    owner,
    licenseMarket,
    m.getParameter("challengeWindow", 60 * 60),
    m.getParameter("idleExpiry", 7 * DAY),
  ]);
  const ws402Deposits = m.contract("WS402Deposits", [owner, m.getParameter("gracePeriod", 5 * 60)]);

  return { licenseMarket, rebatePool, checkpointEscrow, ws402Deposits };
});
