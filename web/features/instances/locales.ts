const en = {};
const zhCN: typeof en = {};
export const instancesLocales = { en, 'zh-CN': zhCN };
