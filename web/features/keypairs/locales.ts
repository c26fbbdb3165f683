/** Strings of the key pair picker (namespace `keypairs`). */
const en = {
  label: 'Key pair',
  placeholder: 'Search by name or fingerprint',
  loading: 'Loading key pairs…',
  noOptions: 'No key pair matches.',
  empty: 'This region has no key pairs yet. Create or import one in the ECS console first.',
  fingerprint: 'Fingerprint {{fingerprint}}',
  created: 'Created {{date}}',
  selected: 'Fingerprint {{fingerprint}} · created {{date}}',
  count_one: '{{count, number}} key pair in this region',
  count_other: '{{count, number}} key pairs in this region',
  loadFailed: 'The key pairs could not be loaded: {{message}}',
  open: 'Show key pairs',
  close: 'Hide key pairs',
  clear: 'Clear the key pair',
  unknownDate: 'unknown date',
};

const zhCN: typeof en = {
  label: '密钥对',
  placeholder: '按名称或指纹搜索',
  loading: '正在加载密钥对…',
  noOptions: '没有匹配的密钥对。',
  empty: '此地域还没有密钥对。请先在 ECS 控制台创建或导入一个。',
  fingerprint: '指纹 {{fingerprint}}',
  created: '创建于 {{date}}',
  selected: '指纹 {{fingerprint}} · 创建于 {{date}}',
  count_one: '此地域共 {{count, number}} 个密钥对',
  count_other: '此地域共 {{count, number}} 个密钥对',
  loadFailed: '无法加载密钥对：{{message}}',
  open: '展开密钥对列表',
  close: '收起密钥对列表',
  clear: '清除所选密钥对',
  unknownDate: '日期未知',
};

export const keypairsLocales = { en, 'zh-CN': zhCN };
