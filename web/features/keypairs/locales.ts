const en = {};
const zhCN: typeof en = {};
export const keypairsLocales = { en, 'zh-CN': zhCN };
