export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.trellisTestServices ?? []).map((service) => service.stop()));
}
