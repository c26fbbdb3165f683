export default function RegionPage(_props: { regionId: string }) {
  return null;
}
