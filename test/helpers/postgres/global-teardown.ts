/** jest's global teardown: the cluster of the global setup goes, folder and all. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.waOnboardTestCluster?.destroy();
}
