"""``glassgrad.data``: datasets, samplers, ``DataLoader``, transforms and readers for real formats
(MNIST/Fashion-MNIST IDX, CIFAR-10 binary, CSV, WAV, SMS spam TSV, plain text; log-mel features;
scikit-learn's digits). PyTorch's
``torch.utils.data`` names; the dataset classes follow torchvision's."""
from . import transforms  # noqa: F401
from .cifar import read_cifar10_batch  # noqa: F401
from .dataloader import DataLoader, default_collate  # noqa: F401
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset,  # noqa: F401
                      random_split)
from .datasets import CIFAR10, MNIST, ArrayDataset, CSVDataset, FashionMNIST, load_digits  # noqa: F401
from .distributed import DistributedSampler  # noqa: F401
from .download import DownloadError, download_url  # noqa: F401
from .idx import read_idx, write_idx  # noqa: F401
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,  # noqa: F401
                      WeightedRandomSampler)
from .worker import WorkerInfo, get_worker_info  # noqa: F401
from .char_text import CharVocabulary, char_batches, read_char_text  # noqa: F401
from .mel import log_mel_spectrogram, mel_filterbank, melspectrogram, power_to_db  # noqa: F401
from .resample import resample  # noqa: F401
from .sms_spam import read_sms_spam  # noqa: F401
from .split import fixed_split  # noqa: F401
from .vocab import Vocabulary, tokenize  # noqa: F401
from .wav import load_audio, read_wav, write_wav  # noqa: F401
